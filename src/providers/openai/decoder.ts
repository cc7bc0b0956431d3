import type { ChatCompletionChunk } from 'openai/resources/chat/completions'
import type { CompletionUsage } from 'openai/resources/completions'
import type { AnswerResult, FinishReason, PartSink, Usage } from '../../canonical/parts'
import { malformedError, truncatedError, upstreamStatusError } from '../errors'
import { oversizeError } from '../limit-errors'
import { EventDecoder, type EventHandler } from '../event-decoder'
import type { AnswerDecoder } from '../types'

type ChunkOrError = Partial<ChatCompletionChunk> & { error?: { message?: unknown; code?: unknown } }
type Delta = ChatCompletionChunk.Choice.Delta & { reasoning_content?: unknown; reasoning?: unknown }

/** OpenAI's usage, one definition: reasoning tokens are part of the completion tokens. */
export function openaiUsage(usage: CompletionUsage): Usage {
  return {
    inputTokens: usage.prompt_tokens,
    outputTokens: usage.completion_tokens,
    reasoningTokens: usage.completion_tokens_details?.reasoning_tokens ?? 0,
    cachedInputTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
    totalTokens: usage.total_tokens,
  }
}

const FINISH: Record<string, FinishReason> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool-calls',
  function_call: 'tool-calls',
  content_filter: 'content-filter',
}

/**
 * Chat completion chunks to canonical parts: `delta.content` (or `delta.refusal`) of choice 0 as
 * text, `delta.reasoning_content` as reasoning, `delta.tool_calls` as tool calls, the finish reason,
 * the usage chunk and `[DONE]`; an `{"error": …}` event is the provider's failure.
 *
 * @example
 * const decoder = openaiDecoder('gpt-4.1-mini', sink, 1 << 20)
 * decoder.push(bytes)
 * const { finish, usage } = decoder.finish()
 */
export function openaiDecoder(model: string, sink: PartSink, maxEventSize: number): AnswerDecoder {
  return new OpenAIDecoder(model, sink, maxEventSize)
}

/** The decoder and its events' handler in one object (methods, no closures: an open stream holds one). */
class OpenAIDecoder implements AnswerDecoder, EventHandler {
  private readonly result: AnswerResult
  private readonly sink: PartSink
  private readonly maxEventSize: number
  private readonly events: EventDecoder
  private refused = false
  private generated = 0
  /** Tool calls started and not yet ended, by index (made with the first one). */
  private open: Set<number> | undefined

  constructor(model: string, sink: PartSink, maxEventSize: number) {
    this.result = { provider: 'openai', model, finish: 'stop', rawFinish: '' }
    this.sink = sink
    this.maxEventSize = maxEventSize
    this.events = new EventDecoder(this, maxEventSize)
  }

  push(bytes: Uint8Array): void {
    this.events.push(bytes)
  }

  usage(): Usage | undefined {
    return this.result.usage
  }

  generatedBound(): number {
    return this.generated * 3
  }

  finish(): AnswerResult {
    const { result } = this
    this.events.end()
    if (!result.rawFinish) throw truncatedError('openai')
    this.endCalls()
    result.finish = this.refused ? 'refusal' : (FINISH[result.rawFinish] ?? 'other')
    return result
  }

  onOversize(): never {
    throw oversizeError('openai', this.maxEventSize)
  }

  onData(data: string): void {
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
    const { result, sink } = this
    // With several choices each chunk carries one of them: the answer is choice 0.
    const choice = chunk.choices?.[0]
    if (choice !== undefined && (choice.index ?? 0) === 0) {
      const delta = choice.delta as Delta | undefined
      if (delta?.content) {
        this.generated += delta.content.length
        sink.text(delta.content)
      } else if (delta?.refusal) {
        this.refused = true
        this.generated += delta.refusal.length
        sink.text(delta.refusal)
      }
      const reasoning = delta?.reasoning_content ?? delta?.reasoning
      if (typeof reasoning === 'string' && reasoning) {
        this.generated += reasoning.length
        sink.reasoning(reasoning)
      }
      if (delta?.tool_calls) {
        for (const call of delta.tool_calls) {
          if (!this.open?.has(call.index) && call.id) {
            this.open ??= new Set()
            this.open.add(call.index)
            this.generated += call.function?.name?.length ?? 0
            sink.toolCallStart({ index: call.index, id: call.id, name: call.function?.name ?? '' })
          }
          if (call.function?.arguments) {
            this.generated += call.function.arguments.length
            sink.toolCallDelta(call.index, call.function.arguments)
          }
        }
      }
      if (choice.finish_reason) {
        result.rawFinish = choice.finish_reason
        this.endCalls()
      }
    }
    if (chunk.usage) result.usage = openaiUsage(chunk.usage)
    if (typeof chunk.model === 'string' && chunk.model) result.model = chunk.model
  }

  private endCalls(): void {
    if (!this.open) return
    for (const index of this.open) this.sink.toolCallEnd(index)
    this.open.clear()
  }
}
