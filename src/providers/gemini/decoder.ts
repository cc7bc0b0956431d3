import type { GenerateContentResponse, GenerateContentResponseUsageMetadata } from '@google/genai'
import type { AnswerResult, FinishReason, PartSink, Usage } from '../../canonical/parts'
import { malformedError, truncatedError, upstreamStatusError } from '../errors'
import { oversizeError } from '../limit-errors'
import { stoppedError } from '../finish-errors'
import { createEventDecoder } from '../event-decoder'
import type { AnswerDecoder } from '../types'
import { parseGoogleError } from './google-error'
import { newToolCallId } from '../tool-call-id'

/** The longest bare error object read (Gemini's are a few hundred bytes); a longer one is dropped. */
const MAX_STRAY_CHARS = 64 * 1024

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

/** Gemini's usage, one definition: thoughts count as output and as reasoning; tool-use prompts as input. */
export function geminiUsage(usage: GenerateContentResponseUsageMetadata): Usage {
  const input = (usage.promptTokenCount ?? 0) + (usage.toolUsePromptTokenCount ?? 0)
  const reasoning = usage.thoughtsTokenCount ?? 0
  const output = (usage.candidatesTokenCount ?? 0) + reasoning
  return {
    inputTokens: input,
    outputTokens: output,
    reasoningTokens: reasoning,
    cachedInputTokens: usage.cachedContentTokenCount ?? 0,
    totalTokens: usage.totalTokenCount ?? input + output,
  }
}

/** The unified finish reason; a reason that is no normal end (OTHER, MALFORMED_FUNCTION_CALL, …) is an error. */
function unifiedFinish(raw: string, calledTools: boolean): FinishReason {
  if (raw === 'STOP' || raw === 'FINISH_REASON_UNSPECIFIED') return calledTools ? 'tool-calls' : 'stop'
  if (raw === 'MAX_TOKENS') return 'length'
  if (FILTERED.has(raw)) return 'content-filter'
  throw stoppedError('gemini', raw)
}

/**
 * `GenerateContentResponse` events to canonical parts: text, thoughts as reasoning, function calls
 * as tool calls (an id made here, the thought signature kept), the last finish reason and the
 * cumulative usage. A blocked prompt ends the answer with `content-filter`. Failures: an
 * `{"error": …}` event, or a bare error object sent without `data:` (WIRE.md §2.7), read once per
 * object so that whatever an upstream sends costs linear time.
 *
 * @example
 * const decoder = geminiDecoder('gemini-2.5-flash', sink, 1 << 20)
 * decoder.push(bytes)
 * const { finish, usage } = decoder.finish()
 */
export function geminiDecoder(model: string, sink: PartSink, maxEventSize: number): AnswerDecoder {
  const result: AnswerResult = { provider: 'gemini', model, finish: 'stop', rawFinish: '' }
  let calls = 0
  let named = false
  let generated = 0
  /** The lines of a bare object being collected ('' when none is open). */
  let stray = ''

  /** The error a bare object reports; the buffer is emptied, so each line is read once. */
  const strayError = () => {
    const found = parseGoogleError(stray)
    stray = ''
    return found ? upstreamStatusError('gemini', found.code, found.message, { midStream: true }) : undefined
  }

  const events = createEventDecoder({
    maxEventSize,
    onOversize: () => {
      throw oversizeError('gemini', maxEventSize)
    },
    onStrayLine(line) {
      if (stray === '' && !line.startsWith('{')) return
      if (stray.length + line.length > MAX_STRAY_CHARS) {
        stray = ''
        return
      }
      stray += `${line}\n`
      // Only an unindented brace closes the top-level object.
      if (line === '}') {
        const error = strayError()
        if (error) throw error
      }
    },
    onData(data) {
      let chunk: GenerateContentResponse & { error?: unknown }
      try {
        chunk = JSON.parse(data) as GenerateContentResponse & { error?: unknown }
      } catch (error) {
        throw malformedError('gemini', error)
      }
      if (chunk.error) {
        const found = parseGoogleError(data)
        throw upstreamStatusError('gemini', found?.code, found?.message ?? '', { midStream: true })
      }
      if (!named && chunk.modelVersion) {
        named = true
        sink.modelName?.(chunk.modelVersion.replace(/^models\//, ''))
      }
      const blockReason = chunk.promptFeedback?.blockReason
      if (blockReason) {
        result.promptBlocked = true
        result.rawFinish = blockReason
      }
      const candidate = chunk.candidates?.[0]
      const parts = candidate?.content?.parts
      if (parts !== undefined) {
        for (const part of parts) {
          if (part.thought) {
            if (part.text) {
              generated += part.text.length
              sink.reasoning(part.text)
            }
          } else if (part.text) {
            generated += part.text.length
            sink.text(part.text)
          } else if (part.functionCall?.name) {
            const index = calls++
            sink.toolCallStart({
              index,
              id: newToolCallId(),
              name: part.functionCall.name,
              ...(part.thoughtSignature ? { signature: part.thoughtSignature } : {}),
            })
            const args = JSON.stringify(part.functionCall.args ?? {})
            generated += part.functionCall.name.length + args.length
            sink.toolCallDelta(index, args)
            sink.toolCallEnd(index)
          }
        }
      }
      if (candidate?.finishReason && !result.promptBlocked) result.rawFinish = candidate.finishReason
      if (chunk.usageMetadata) result.usage = geminiUsage(chunk.usageMetadata)
      if (typeof chunk.modelVersion === 'string' && chunk.modelVersion) result.model = chunk.modelVersion
    },
  })

  return {
    push: (bytes) => events.push(bytes),
    usage: () => result.usage,
    generatedBound: () => generated * 3,
    finish() {
      events.end()
      if (stray !== '') {
        const error = strayError()
        if (error) throw error
      }
      if (!result.rawFinish) throw truncatedError('gemini')
      result.finish = result.promptBlocked ? 'content-filter' : unifiedFinish(result.rawFinish, calls > 0)
      result.model = result.model.replace(/^models\//, '')
      return result
    },
  }
}
