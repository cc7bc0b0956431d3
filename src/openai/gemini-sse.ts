import type { GenerateContentResponse } from '@google/genai'
import { malformedError, oversizeError, upstreamStatusError } from '../providers/errors'
import { createEventDecoder } from '../providers/event-decoder'
import { parseGoogleError } from '../providers/gemini/google-error'
import type { FrameSource } from './frame-source'
import type { ChunkTranslator } from './gemini-chunks'

/** How much of the lines outside any event is kept to read a bare error object from. */
const MAX_STRAY_CHARS = 64 * 1024

/**
 * Reads Gemini's `streamGenerateContent?alt=sse` body (CRLF framed, no `[DONE]`) and emits the
 * translated frames, one write per network read that produced any. Gemini reports a failure
 * inside a 200 stream either as a `data:` event holding `{"error":…}` or as a bare pretty-printed
 * error object without `data:` (WIRE.md §2.7): those lines are collected (bounded) and read as a
 * Google error when the object closes. An event or line longer than `maxEventBytes`
 * (MAX_UPSTREAM_EVENT_BYTES) ends the answer instead of growing a buffer.
 *
 * @example
 * const source = createGeminiSource(createChunkTranslator(options), 1 << 20)
 * source.push(read.value, emit) // the frames of the events this read completed
 */
export function createGeminiSource(translator: ChunkTranslator, maxEventBytes: number): FrameSource {
  const encoder = new TextEncoder()
  let stray = ''
  /** Frames translated but not yet sent: they go out before a later event's failure. */
  let ready = ''
  const strayError = (final: boolean): void => {
    if (stray === '') return
    const reported = parseGoogleError(stray)
    if (reported) throw upstreamStatusError('gemini', reported.code, reported.message, { midStream: true })
    if (final) throw malformedError('gemini')
  }
  const events = createEventDecoder({
    maxEventSize: maxEventBytes,
    onOversize: () => {
      throw oversizeError('gemini', maxEventBytes)
    },
    onStrayLine(line) {
      stray = stray.length + line.length > MAX_STRAY_CHARS ? line : `${stray}${line}\n`
      if (line.trimEnd() === '}') strayError(false)
    },
    onData(data) {
      let chunk: GenerateContentResponse & { error?: unknown }
      try {
        chunk = JSON.parse(data) as GenerateContentResponse & { error?: unknown }
      } catch (error) {
        throw malformedError('gemini', error)
      }
      if (chunk.error !== undefined) {
        const reported = parseGoogleError(data)
        throw upstreamStatusError('gemini', reported?.code, reported?.message ?? '', { midStream: true })
      }
      ready += translator.push(chunk)
    },
  })
  /** Runs one step; what was translated before a failure still goes out first. */
  const step = (work: () => void, emit: (frame: Uint8Array) => void): void => {
    try {
      work()
    } finally {
      if (ready !== '') {
        emit(encoder.encode(ready))
        ready = ''
      }
    }
  }

  return {
    push(chunk, emit) {
      step(() => events.push(chunk), emit)
      return false
    },
    end(emit) {
      step(() => {
        events.end()
        strayError(true)
        ready += translator.end()
      }, emit)
    },
    summary: () => translator.summary(),
  }
}
