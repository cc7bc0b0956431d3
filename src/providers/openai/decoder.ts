import type { ChatCompletionChunk } from 'openai/resources/chat/completions'
import { ProviderError, malformedError, oversizeError, truncatedError, upstreamStatusError } from '../errors'
import { createEventDecoder } from '../event-decoder'
import type { AnswerDecoder, StreamResult, Usage } from '../types'

type ChunkOrError = Partial<ChatCompletionChunk> & { error?: { message?: unknown; code?: unknown } }

function toUsage(usage: NonNullable<ChatCompletionChunk['usage']>): Usage {
  const reasoning = usage.completion_tokens_details?.reasoning_tokens
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.total_tokens,
    ...(reasoning ? { reasoning_tokens: reasoning } : {}),
  }
}

/**
 * Chat completion chunks to text pieces: `delta.content` (or `delta.refusal`) of choice 0, the
 * finish reason, the usage chunk and `[DONE]`; an `{"error": …}` event is the provider's failure.
 *
 * @example
 * const decoder = openaiDecoder('gpt-4.1-mini', (text) => send(text), 1 << 20)
 * decoder.push(bytes)
 * const { finishReason, usage } = decoder.finish()
 */
export function openaiDecoder(model: string, onText: (text: string) => void, maxEventSize: number): AnswerDecoder {
  const result: StreamResult = { provider: 'openai', model, finishReason: '' }
  let refused = false
  const events = createEventDecoder({
    maxEventSize,
    onOversize: () => {
      throw oversizeError('openai', maxEventSize)
    },
    onData(data) {
      if (data === '[DONE]') return
      let chunk: ChunkOrError
      try {
        chunk = JSON.parse(data) as ChunkOrError
      } catch (error) {
        throw malformedError('openai', error)
      }
      if (chunk.error) {
        const message = typeof chunk.error.message === 'string' ? chunk.error.message : ''
        const code = typeof chunk.error.code === 'number' ? chunk.error.code : undefined
        throw upstreamStatusError('openai', code, message, { midStream: true })
      }
      // With several choices each chunk carries one of them: the answer is choice 0.
      const choice = chunk.choices?.[0]
      if (choice !== undefined && (choice.index ?? 0) === 0) {
        const delta = choice.delta
        if (delta?.content) onText(delta.content)
        else if (delta?.refusal) {
          refused = true
          onText(delta.refusal)
        }
        if (choice.finish_reason) result.finishReason = choice.finish_reason
      }
      if (chunk.usage) result.usage = toUsage(chunk.usage)
      if (typeof chunk.model === 'string' && chunk.model) result.model = chunk.model
    },
  })
  return {
    push: (bytes) => events.push(bytes),
    finish() {
      events.end()
      if (!result.finishReason) throw truncatedError('openai')
      if (result.finishReason === 'content_filter') {
        throw new ProviderError(
          'openai',
          'blocked',
          "openai: the answer was stopped by OpenAI's content filter (finish reason content_filter). Rephrase the question.",
        )
      }
      if (refused) result.finishReason = 'refusal'
      return result
    },
  }
}
