/**
 * Tool call ids for providers that have none (Gemini): `call_` and 24 random letters and digits.
 *
 * @example
 * newToolCallId() // 'call_Xa3kQ…'
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

export function newToolCallId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24))
  let id = 'call_'
  for (const byte of bytes) id += ALPHABET[byte % ALPHABET.length]
  return id
}
