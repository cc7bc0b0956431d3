import type { ChatRequest } from '../providers/types'
import type { ChatRequestBody } from '../schemas'
import type { FieldIssue } from '../validation'

/** The provider-neutral request (all but the prompt) from a validated body or query. */
export function chatRequestFrom(input: Partial<ChatRequestBody>): Omit<ChatRequest, 'prompt'> {
  return {
    ...(input.model !== undefined ? { model: input.model } : {}),
    ...(input.system !== undefined && input.system !== '' ? { system: input.system } : {}),
    ...(input.messages !== undefined ? { messages: input.messages } : {}),
    ...(input.temperature !== undefined ? { temperature: input.temperature } : {}),
    ...(input.max_tokens !== undefined ? { maxTokens: input.max_tokens } : {}),
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
