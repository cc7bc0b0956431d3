import type { GenerateContentResponse } from '@google/genai'
import { createParser } from 'eventsource-parser'
import { malformedError, upstreamStatusError } from '../providers/errors'
import { parseGoogleError } from '../providers/gemini/google-error'
import type { FrameSource } from './frame-source'
import type { ChunkTranslator } from './gemini-chunks'

/**
 * Reads Gemini's `streamGenerateContent?alt=sse` body (CRLF framed, no `[DONE]`) and emits the
 * translated frames, one write per network read that produced any. Gemini reports a failure
 * inside a 200 stream either as a `data:` event holding `{"error":…}` or as a bare pretty-printed
 * error object without `data:` (WIRE.md §2.7); the parser hands those lines to `onError`, where
 * they are collected (only then) and read as a Google error.
 *
 * @example
 * const source = createGeminiSource(createChunkTranslator(options))
 * source.push(read.value, emit) // the frames of the events this read completed
 */
export function createGeminiSource(translator: ChunkTranslator): FrameSource {
  const encoder = new TextEncoder()
  const decoder = new TextDecoder()
  const events: string[] = []
  const stray: string[] = []
  const parser = createParser({
    onEvent: (event) => events.push(event.data),
    onError: (error) => stray.push(error.line ?? ''),
  })
  /** Frames translated but not yet sent: they go out before a later event's failure. */
  let ready = ''
  const drain = (): void => {
    for (const data of events.splice(0)) {
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
    }
  }
  const strayError = (final: boolean): void => {
    if (stray.length === 0) return
    const reported = parseGoogleError(stray.join('\n'))
    if (reported) throw upstreamStatusError('gemini', reported.code, reported.message, { midStream: true })
    if (final) throw malformedError('gemini')
  }
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
      step(() => {
        parser.feed(decoder.decode(chunk, { stream: true }))
        drain()
        strayError(false)
      }, emit)
      return false
    },
    end(emit) {
      step(() => {
        parser.feed(decoder.decode())
        parser.reset({ consume: true })
        drain()
        strayError(true)
        ready += translator.end()
      }, emit)
    },
    summary: () => translator.summary(),
  }
}
