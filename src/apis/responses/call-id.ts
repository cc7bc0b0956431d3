/**
 * Gemini's thought signatures across a stateless Responses conversation. A thinking Gemini model
 * signs its function calls and wants each signature back with its call on the next turn (Gemini 3
 * answers 400 without it). Every Responses client sends a call back with its `call_id` (it must,
 * to pair it with its `function_call_output`), while other fields and whole `reasoning` items are
 * dropped by some clients (Codex keeps only typed fields; the AI SDK replaces stored items by
 * `item_reference`s). So the signature rides inside the `call_id`: `call_<id>~<signature>`, the
 * format chat completions' tool call ids use, so a conversation can move between the two APIs.
 *
 * A `reasoning` input item's `encrypted_content` is also read as a signature when it is not
 * OpenAI's own encrypted reasoning (a Fernet token, which always begins with `gAAAA`): other
 * gateways carry Gemini signatures there.
 *
 * @example
 * callIdWithSignature('call_Xa3', 'CiIBVKhc…')   // 'call_Xa3~CiIBVKhc…'
 * signatureOfCallId('call_Xa3~CiIBVKhc…')         // 'CiIBVKhc…'
 * signatureOfCallId('call_abc')                   // undefined
 * reasoningSignature('gAAAAABpPDIU…')             // undefined: OpenAI's, not Gemini's
 */

const SEPARATOR = '~'
const PREFIX = 'call_'

/** The `call_id` to show for a call: its id, with the signature appended when it has one. */
export function callIdWithSignature(id: string, signature?: string): string {
  if (!signature || signatureOfCallId(id) === signature) return id
  const base = id.startsWith(PREFIX) ? id : `${PREFIX}${id}`
  const at = base.indexOf(SEPARATOR)
  return `${at > 0 ? base.slice(0, at) : base}${SEPARATOR}${signature}`
}

/** The signature carried by a `call_id`, if any. */
export function signatureOfCallId(callId: string): string | undefined {
  if (!callId.startsWith(PREFIX)) return undefined
  const at = callId.indexOf(SEPARATOR)
  return at > 0 ? callId.slice(at + 1) || undefined : undefined
}

/** A `reasoning` item's `encrypted_content` as a Gemini thought signature, unless it is OpenAI's own. */
export function reasoningSignature(encrypted: unknown): string | undefined {
  if (typeof encrypted !== 'string' || encrypted === '' || encrypted.startsWith('gAAAA')) return undefined
  return encrypted
}
