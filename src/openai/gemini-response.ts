import type { GenerateContentResponse, GenerateContentResponseUsageMetadata } from '@google/genai'
import type { ChatCompletionChunk, ChatCompletionMessageFunctionToolCall } from 'openai/resources/chat/completions'
import type { CompletionUsage } from 'openai/resources/completions'
import { ProviderError } from '../providers/errors'
import { toolCallId } from './tool-call-id'

/**
 * Reading one Gemini response (a stream chunk or the whole unary reply) in OpenAI's terms:
 * its answer text (thought parts never count), its function calls as tool calls, its finish
 * reason and its usage.
 *
 * @example
 * const { text, calls } = readParts(chunk)
 * finishReason('STOP', calls.length > 0) // 'tool_calls'
 */

export type FinishReason = ChatCompletionChunk.Choice['finish_reason'] & string

export function readParts(response: GenerateContentResponse): {
  text: string
  calls: ChatCompletionMessageFunctionToolCall[]
} {
  let text = ''
  const calls: ChatCompletionMessageFunctionToolCall[] = []
  for (const part of response.candidates?.[0]?.content?.parts ?? []) {
    if (part.thought) continue
    if (part.text) text += part.text
    else if (part.functionCall?.name) {
      calls.push({
        id: toolCallId(part.thoughtSignature),
        type: 'function',
        function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) },
      })
    }
  }
  return { text, calls }
}

const FILTERED = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
])

/**
 * OpenAI's finish reason for Gemini's. A function call ends with `STOP` on Gemini: that is
 * `tool_calls`. Reasons OpenAI has no word for (MALFORMED_FUNCTION_CALL, OTHER, …) are errors.
 */
export function finishReason(reason: string, calledTools: boolean): FinishReason {
  if (reason === 'STOP' || reason === 'FINISH_REASON_UNSPECIFIED') return calledTools ? 'tool_calls' : 'stop'
  if (reason === 'MAX_TOKENS') return 'length'
  if (FILTERED.has(reason)) return 'content_filter'
  throw new ProviderError(
    'gemini',
    'upstream_stream_error',
    `gemini: the answer was stopped by Gemini (finish reason ${reason}). The answer is incomplete; retry or rephrase the request.`,
  )
}

/** OpenAI's usage for Gemini's (cumulative) usage metadata; reasoning tokens count as completion tokens. */
export function toUsage(usage: GenerateContentResponseUsageMetadata | undefined): CompletionUsage {
  const prompt = (usage?.promptTokenCount ?? 0) + (usage?.toolUsePromptTokenCount ?? 0)
  const reasoning = usage?.thoughtsTokenCount ?? 0
  const completion = (usage?.candidatesTokenCount ?? 0) + reasoning
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: usage?.totalTokenCount ?? prompt + completion,
    prompt_tokens_details: { cached_tokens: usage?.cachedContentTokenCount ?? 0 },
    completion_tokens_details: { reasoning_tokens: reasoning },
  }
}

/** The model name Gemini reports, without the `models/` prefix it sometimes carries. */
export function modelOf(response: GenerateContentResponse, requested: string): string {
  return response.modelVersion?.replace(/^models\//, '') || requested
}
