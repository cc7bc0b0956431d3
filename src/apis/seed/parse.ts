import type { CanonicalRequest, Message } from '../../canonical/request'
import type { ChatRequestBody } from '../../schemas'
import type { FieldIssue } from '../../validation'

/**
 * The gateway's own chat request (`user_input`, `system`, `messages`, `temperature`, `max_tokens`)
 * as a canonical request; the schema in src/schemas.ts has validated it.
 *
 * @example
 * seedRequest({ user_input: 'Hi', system: 'Be brief.' })
 * // { messages: [{ role: 'system', … }, { role: 'user', parts: [{ type: 'text', text: 'Hi' }] }] }
 */
export function seedRequest(input: ChatRequestBody): CanonicalRequest {
  const messages: Message[] = []
  if (input.system) messages.push({ role: 'system', parts: [{ type: 'text', text: input.system }] })
  for (const turn of input.messages ?? []) {
    messages.push({ role: turn.role, parts: [{ type: 'text', text: turn.content }] })
  }
  messages.push({ role: 'user', parts: [{ type: 'text', text: input.user_input }] })
  return {
    messages,
    ...(input.temperature !== undefined ? { temperature: input.temperature } : {}),
    ...(input.max_tokens !== undefined ? { maxOutputTokens: input.max_tokens } : {}),
  }
}

/**
 * The MAX_INPUT_CHARS limit: on `user_input` alone, then on everything sent to the model.
 *
 * @example
 * checkInputSize({ user_input: 'x'.repeat(40_000) }, 32_000)
 * // { field: 'user_input', message: 'must be at most 32000 characters (got 40000)' }
 */
export function checkInputSize(input: Partial<ChatRequestBody>, maxChars: number): FieldIssue | undefined {
  const userInput = input.user_input?.length ?? 0
  if (userInput > maxChars) {
    return { field: 'user_input', message: `must be at most ${maxChars} characters (got ${userInput})` }
  }
  let total = userInput + (input.system?.length ?? 0)
  for (const turn of input.messages ?? []) total += turn.content.length
  if (total > maxChars) {
    const field = input.messages?.length ? 'messages' : 'system'
    return {
      field,
      message: `user_input, system and messages together must be at most ${maxChars} characters (got ${total})`,
    }
  }
  return undefined
}
