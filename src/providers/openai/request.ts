import type { ChatCompletionCreateParamsStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import type { ChatRequest } from '../types'

/**
 * The chat completions body for a gateway request: system prompt, earlier turns, the new
 * message, and usage in the last chunk (`stream_options.include_usage`).
 *
 * @example
 * openaiBody({ prompt: 'Hi', maxTokens: 50 }, 'gpt-4.1-mini')
 * // { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Hi' }], stream: true, …, max_completion_tokens: 50 }
 */
export function openaiBody(request: ChatRequest, model: string): ChatCompletionCreateParamsStreaming {
  const messages: ChatCompletionMessageParam[] = []
  if (request.system) messages.push({ role: 'system', content: request.system })
  for (const turn of request.messages ?? []) messages.push({ role: turn.role, content: turn.content })
  messages.push({ role: 'user', content: request.prompt })
  return {
    model,
    messages,
    stream: true,
    stream_options: { include_usage: true },
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    // `max_tokens` is refused by reasoning models; `max_completion_tokens` works with all of them.
    ...(request.maxTokens !== undefined ? { max_completion_tokens: request.maxTokens } : {}),
  }
}
