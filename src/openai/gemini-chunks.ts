import type { GenerateContentResponse, GenerateContentResponseUsageMetadata } from '@google/genai'
import type { ChatCompletionChunk } from 'openai/resources/chat/completions'
import type { CompletionUsage } from 'openai/resources/completions'
import { truncatedError } from '../providers/errors'
import { finishReason, modelOf, readParts, toUsage, type FinishReason } from './gemini-response'
import { toolCallId } from './tool-call-id'

/**
 * Gemini stream chunks to `chat.completion.chunk` frames. The first frame carries
 * `role: "assistant"`; text goes to `delta.content`, function calls to `delta.tool_calls` (one
 * stable `index` and `id` per call, arguments as JSON text); the last frame carries the finish
 * reason, then (only with `include_usage`) a usage frame with empty `choices`, then `[DONE]`.
 * The fixed part of every frame is built once, at the first chunk.
 *
 * @example
 * const chunks = createChunkTranslator({ model: 'gemini-2.5-flash', includeUsage: true, created: 1755137933 })
 * chunks.push(geminiChunk) // 'data: {"id":"chatcmpl-…",…,"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}\n\n'
 * chunks.end()             // finish frame, usage frame, 'data: [DONE]\n\n'
 */

export interface ChunkTranslator {
  /** The frames for one Gemini chunk ('' when it holds nothing to send, e.g. only thoughts). */
  push(response: GenerateContentResponse): string
  /** The closing frames; throws a ProviderError when the stream was cut or ended abnormally. */
  end(): string
  /** For the log line, once the stream ended: the finish reason and Gemini's usage, as OpenAI's. */
  summary(): { finish_reason?: string; usage?: CompletionUsage }
}

export interface ChunkOptions {
  /** The model as requested; Gemini's `modelVersion` replaces it when present. */
  model: string
  includeUsage: boolean
  /** Unix seconds. */
  created: number
}

type Delta = ChatCompletionChunk.Choice.Delta

export function createChunkTranslator(options: ChunkOptions): ChunkTranslator {
  /** `{"id":…,"object":…,"created":…,"model":…` */
  let envelope: string | undefined
  /** `data: <envelope>,"choices":[{"index":0,"delta":` */
  let head = ''
  let started = false
  let calls = 0
  let rawFinish = ''
  let blocked = false
  let usage: GenerateContentResponseUsageMetadata | undefined

  const open = (response?: GenerateContentResponse): void => {
    const id = `chatcmpl-${response?.responseId ?? toolCallId().slice(5)}`
    const model = response ? modelOf(response, options.model) : options.model
    envelope = `{"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${options.created},"model":${JSON.stringify(model)}`
    head = `data: ${envelope},"choices":[{"index":0,"delta":`
  }
  const frame = (delta: Delta, finish: FinishReason | null): string =>
    `${head}${JSON.stringify(delta)},"finish_reason":${finish === null ? 'null' : JSON.stringify(finish)}}]}\n\n`

  return {
    push(response) {
      if (envelope === undefined) open(response)
      if (response.usageMetadata) usage = response.usageMetadata
      if (response.promptFeedback?.blockReason) blocked = true
      const finish = response.candidates?.[0]?.finishReason
      if (finish) rawFinish = finish
      const parts = readParts(response)
      if (parts.text === '' && parts.calls.length === 0) return ''
      const delta: Delta = started ? {} : { role: 'assistant' }
      started = true
      if (parts.text !== '') delta.content = parts.text
      else if (delta.role) delta.content = null
      if (parts.calls.length > 0) delta.tool_calls = parts.calls.map((call) => ({ index: calls++, ...call }))
      return frame(delta, null)
    },

    end() {
      if (!blocked && rawFinish === '') throw truncatedError('gemini')
      const reason = blocked ? 'content_filter' : finishReason(rawFinish, calls > 0)
      if (envelope === undefined) open()
      let out = frame(started ? {} : { role: 'assistant', content: '' }, reason)
      if (options.includeUsage) out += `data: ${envelope},"choices":[],"usage":${JSON.stringify(toUsage(usage))}}\n\n`
      return `${out}data: [DONE]\n\n`
    },

    summary() {
      const reason = blocked ? 'content_filter' : rawFinish ? finishReason(rawFinish, calls > 0) : undefined
      return { ...(reason ? { finish_reason: reason } : {}), ...(usage ? { usage: toUsage(usage) } : {}) }
    },
  }
}
