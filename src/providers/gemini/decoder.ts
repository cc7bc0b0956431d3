import type { GenerateContentResponse } from '@google/genai'
import { ProviderError, malformedError, oversizeError, truncatedError, upstreamStatusError } from '../errors'
import { createEventDecoder } from '../event-decoder'
import type { AnswerDecoder, StreamResult, Usage } from '../types'
import { parseGoogleError } from './google-error'

/** Finish reasons that end an answer normally; any other one is reported as an error. */
const NORMAL_FINISH = new Set(['STOP', 'MAX_TOKENS', 'FINISH_REASON_UNSPECIFIED'])

/** Lines of a bare error object kept at most (Gemini's are a few hundred bytes). */
const MAX_STRAY_CHARS = 64 * 1024

function toUsage(usage: NonNullable<GenerateContentResponse['usageMetadata']>): Usage {
  return {
    prompt_tokens: usage.promptTokenCount,
    completion_tokens: usage.candidatesTokenCount,
    total_tokens: usage.totalTokenCount,
    ...(usage.thoughtsTokenCount ? { reasoning_tokens: usage.thoughtsTokenCount } : {}),
  }
}

function finishError(reason: string): ProviderError {
  const why =
    reason === 'SAFETY' || reason === 'IMAGE_SAFETY'
      ? "was stopped by Gemini's safety filters"
      : reason === 'RECITATION'
        ? 'was stopped because it was reciting existing material'
        : reason === 'PROHIBITED_CONTENT' || reason === 'BLOCKLIST' || reason === 'SPII'
          ? 'was stopped by Gemini because of prohibited or sensitive content'
          : 'was stopped by Gemini'
  return new ProviderError(
    'gemini',
    'blocked',
    `gemini: the answer ${why} (finish reason ${reason}). The answer is incomplete; rephrase the question.`,
  )
}

/**
 * `GenerateContentResponse` events to text pieces: every non-thought `text` part of candidate 0,
 * the last finish reason and cumulative usage; a blocked prompt, an abnormal finish and a bare
 * `{"error": …}` object sent without `data:` (WIRE.md §2.7) are the provider's failures.
 *
 * @example
 * const decoder = geminiDecoder('gemini-2.5-flash', (text) => send(text), 1 << 20)
 * decoder.push(bytes)
 * const { finishReason } = decoder.finish()
 */
export function geminiDecoder(model: string, onText: (text: string) => void, maxEventSize: number): AnswerDecoder {
  const result: StreamResult = { provider: 'gemini', model, finishReason: '' }
  let rawFinish = ''
  let stray = ''

  const strayError = (): ProviderError | undefined => {
    const found = stray ? parseGoogleError(stray) : undefined
    return found ? upstreamStatusError('gemini', found.code, found.message, { midStream: true }) : undefined
  }

  const events = createEventDecoder({
    maxEventSize,
    onOversize: () => {
      throw oversizeError('gemini', maxEventSize)
    },
    onStrayLine(line) {
      stray = stray.length + line.length > MAX_STRAY_CHARS ? line : `${stray}${line}\n`
      if (line === '}') {
        const error = strayError()
        if (error) throw error
      }
    },
    onData(data) {
      let chunk: GenerateContentResponse
      try {
        chunk = JSON.parse(data) as GenerateContentResponse
      } catch (error) {
        throw malformedError('gemini', error)
      }
      const error = (chunk as { error?: unknown }).error
      if (error) {
        const found = parseGoogleError(data)
        throw upstreamStatusError('gemini', found?.code, found?.message ?? '', { midStream: true })
      }
      const blockReason = chunk.promptFeedback?.blockReason
      if (blockReason) {
        throw new ProviderError(
          'gemini',
          'blocked',
          `gemini: the prompt was blocked by Gemini's safety filters (block reason ${blockReason}). Rephrase the question.`,
        )
      }
      const candidate = chunk.candidates?.[0]
      const parts = candidate?.content?.parts
      if (parts !== undefined) {
        for (const part of parts) {
          if (part.text && !part.thought) onText(part.text)
        }
      }
      if (candidate?.finishReason) rawFinish = candidate.finishReason
      if (chunk.usageMetadata) result.usage = toUsage(chunk.usageMetadata)
      if (typeof chunk.modelVersion === 'string' && chunk.modelVersion) result.model = chunk.modelVersion
    },
  })

  return {
    push: (bytes) => events.push(bytes),
    finish() {
      events.end()
      const error = strayError()
      if (error) throw error
      if (!rawFinish) throw truncatedError('gemini')
      if (!NORMAL_FINISH.has(rawFinish)) throw finishError(rawFinish)
      result.model = result.model.replace(/^models\//, '')
      result.finishReason = rawFinish === 'MAX_TOKENS' ? 'length' : 'stop'
      return result
    },
  }
}
