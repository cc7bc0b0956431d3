import type { GenerateContentResponse } from '@google/genai'
import type { ChatCompletion } from 'openai/resources/chat/completions'
import { ProviderError } from '../providers/errors'
import { finishReason, modelOf, readParts, toUsage } from './gemini-response'
import { toolCallId } from './tool-call-id'

/**
 * A whole Gemini `generateContent` reply as a `chat.completion` (the non-streamed answer).
 *
 * @example
 * toChatCompletion(await upstream.json(), 'gemini-2.5-flash', 1755137933)
 * // { id: 'chatcmpl-…', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop', … }], usage: {…} }
 */
export function toChatCompletion(response: GenerateContentResponse, model: string, created: number): ChatCompletion {
  const blocked = response.promptFeedback?.blockReason !== undefined
  const rawFinish = response.candidates?.[0]?.finishReason
  if (!blocked && !rawFinish) {
    throw new ProviderError(
      'gemini',
      'malformed',
      'gemini: the provider sent an answer without a finish reason. Retry.',
    )
  }
  const { text, calls } = readParts(response)
  const finish = blocked ? 'content_filter' : finishReason(rawFinish ?? 'STOP', calls.length > 0)
  return {
    id: `chatcmpl-${response.responseId ?? toolCallId().slice(5)}`,
    object: 'chat.completion',
    created,
    model: modelOf(response, model),
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text === '' && calls.length > 0 ? null : text,
          refusal: null,
          ...(calls.length > 0 ? { tool_calls: calls } : {}),
        },
        logprobs: null,
        finish_reason: finish,
      },
    ],
    usage: toUsage(response.usageMetadata),
  }
}
