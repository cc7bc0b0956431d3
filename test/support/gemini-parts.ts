/**
 * A recorded Gemini stream (test/fixtures/gemini-*.sse) played into a PartSink the way a Gemini
 * decoder speaking the canonical vocabulary does: thought parts as reasoning, text parts as text,
 * each functionCall as start / one delta of its JSON args / end (with its thoughtSignature), the
 * finish reason and usage as an AnswerResult; a blocked prompt is a `content-filter` result with
 * `promptBlocked`, an error object (with or without `data:`) a thrown ProviderError. Renderer tests
 * feed it to the renderers; it stands for the decoder until that one is on the canonical parts.
 *
 * @example
 * const result = playGeminiFixture('gemini-thinking-function-call.sse', renderer)
 * renderer.done(result, 1)
 */
import { readFileSync } from 'node:fs'
import type { AnswerResult, FinishReason, PartSink, Usage } from '../../src/canonical/parts'
import { ProviderError } from '../../src/providers/errors'

interface GeminiChunk {
  candidates?: {
    content?: {
      parts?: {
        text?: string
        thought?: boolean
        functionCall?: { name: string; args?: unknown }
        thoughtSignature?: string
      }[]
    }
    finishReason?: string
  }[]
  promptFeedback?: { blockReason?: string }
  usageMetadata?: {
    promptTokenCount?: number
    candidatesTokenCount?: number
    thoughtsTokenCount?: number
    cachedContentTokenCount?: number
    totalTokenCount?: number
  }
  modelVersion?: string
  error?: { code?: number; message?: string }
}

const FINISH: Record<string, FinishReason> = { STOP: 'stop', MAX_TOKENS: 'length' }

function usageOf(metadata: NonNullable<GeminiChunk['usageMetadata']>): Usage {
  const thoughts = metadata.thoughtsTokenCount ?? 0
  return {
    inputTokens: metadata.promptTokenCount ?? 0,
    outputTokens: (metadata.candidatesTokenCount ?? 0) + thoughts,
    reasoningTokens: thoughts,
    cachedInputTokens: metadata.cachedContentTokenCount ?? 0,
    totalTokens: metadata.totalTokenCount ?? 0,
  }
}

function errorOf(error: NonNullable<GeminiChunk['error']>): ProviderError {
  return new ProviderError('gemini', 'upstream_stream_error', `gemini: ${error.message ?? 'error'} (${error.code})`, {
    status: error.code,
  })
}

/** Plays the fixture `name` into `sink`; returns how the answer ended, or throws its error. */
export function playGeminiFixture(name: string, sink: PartSink): AnswerResult {
  const text = readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8').replace(/\r\n/g, '\n')
  const result: AnswerResult = { provider: 'gemini', model: 'gemini', finish: 'other', rawFinish: '' }
  let calls = 0
  for (const block of text.split('\n\n')) {
    const trimmed = block.trim()
    if (trimmed === '') continue
    const json = trimmed.startsWith('data:') ? trimmed.slice(5).trim() : trimmed
    const chunk = JSON.parse(json) as GeminiChunk
    if (chunk.error) throw errorOf(chunk.error)
    if (chunk.modelVersion) result.model = chunk.modelVersion
    if (chunk.usageMetadata) result.usage = usageOf(chunk.usageMetadata)
    const blocked = chunk.promptFeedback?.blockReason
    if (blocked) return { ...result, finish: 'content-filter', rawFinish: blocked, promptBlocked: true }
    const candidate = chunk.candidates?.[0]
    for (const part of candidate?.content?.parts ?? []) {
      if (part.functionCall) {
        const index = calls++
        const signature = part.thoughtSignature
        sink.toolCallStart({
          index,
          id: `call_gemini${index}`,
          name: part.functionCall.name,
          ...(signature ? { signature } : {}),
        })
        sink.toolCallDelta(index, JSON.stringify(part.functionCall.args ?? {}))
        sink.toolCallEnd(index)
      } else if (typeof part.text === 'string') {
        if (part.thought) sink.reasoning(part.text)
        else sink.text(part.text)
      }
    }
    if (candidate?.finishReason) {
      result.rawFinish = candidate.finishReason
      result.finish = calls > 0 ? 'tool-calls' : (FINISH[candidate.finishReason] ?? 'content-filter')
    }
  }
  return result
}
