/**
 * Chat completions tool call ids for Gemini's calls. Gemini has no call ids, but a thinking model
 * signs each call (`thoughtSignature`) and wants the signature back with the call in the next
 * request (Gemini 3 rejects the request without it). OpenAI clients echo a call's `id` in the
 * assistant message and in the tool message, so the signature travels inside the id: nothing to store.
 *
 * @example
 * const wire = wireToolCallId('call_Xa3…', 'CiIBVKhc…') // 'call_Xa3…~CiIBVKhc…'
 * splitToolCallId(wire)                                 // { id: 'call_Xa3…', signature: 'CiIBVKhc…' }
 * splitToolCallId('call_abc')                           // { id: 'call_abc' }
 */

const SEPARATOR = '~'

export function wireToolCallId(id: string, signature?: string): string {
  return signature ? `${id}${SEPARATOR}${signature}` : id
}

export function splitToolCallId(wire: string): { id: string; signature?: string } {
  const at = wire.indexOf(SEPARATOR)
  if (at <= 0 || !wire.startsWith('call_') || at === wire.length - 1) return { id: wire }
  return { id: wire.slice(0, at), signature: wire.slice(at + 1) }
}
