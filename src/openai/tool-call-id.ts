/**
 * Tool call ids for Gemini's function calls. Gemini has no call ids, but a thinking model signs
 * each call (`thoughtSignature`) and wants the signature back with the call in the next request
 * (Gemini 3 rejects the request without it). OpenAI clients echo a call's `id` in the assistant
 * message and in the tool message, so the signature travels inside the id: nothing to store.
 *
 * @example
 * const id = toolCallId('CiIBVKhc…')   // 'call_Xa3…~CiIBVKhc…'
 * signatureOf(id)                      // 'CiIBVKhc…'
 * signatureOf('call_abc')              // undefined
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const SEPARATOR = '~'

function randomPart(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length))
  let out = ''
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length]
  return out
}

export function toolCallId(signature?: string): string {
  const id = `call_${randomPart(24)}`
  return signature ? `${id}${SEPARATOR}${signature}` : id
}

export function signatureOf(id: string): string | undefined {
  const at = id.indexOf(SEPARATOR)
  return at > 0 && id.startsWith('call_') ? id.slice(at + 1) || undefined : undefined
}
