/**
 * Gemini's thought signatures across a stateless Responses conversation. A thinking Gemini model
 * signs its function calls and wants each signature back with its call on the next turn (Gemini 3
 * answers 400 without it). Every Responses client sends a call back with its `call_id` (it must,
 * to pair it with its output), while other fields and whole `reasoning` items are dropped by some
 * clients (Codex keeps only typed fields; the AI SDK replaces stored items by `item_reference`s).
 * So the signature rides inside the `call_id`, `call_<id>~<signature>`, as in chat completions'
 * tool call ids (./chat/tool-call-id.ts), and a conversation can move between the two APIs.
 *
 * A `reasoning` input item's `encrypted_content` is also read as a signature when it is not
 * OpenAI's own encrypted reasoning (a Fernet token, which always begins with `gAAAA`): other
 * gateways carry Gemini signatures there.
 *
 * @example
 * reasoningSignature('CiIBVKhc…')     // 'CiIBVKhc…'
 * reasoningSignature('gAAAAABpPDIU…') // undefined: OpenAI's, not Gemini's
 */
export function reasoningSignature(encrypted: unknown): string | undefined {
  if (typeof encrypted !== 'string' || encrypted === '' || encrypted.startsWith('gAAAA')) return undefined
  return encrypted
}
