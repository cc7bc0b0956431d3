import type { GenerateContentResponse } from '@google/genai'
import { createParser } from 'eventsource-parser'
import { malformedError, truncatedError, upstreamStatusError } from '../providers/errors'
import { parseGoogleError } from '../providers/google-error'
import type { ChunkTranslator } from './gemini-chunks'

/**
 * Reads Gemini's `streamGenerateContent?alt=sse` body (CRLF framed, no `[DONE]`) and yields the
 * translated frames, one string per network read that produced any. Gemini reports a failure
 * inside a 200 stream either as a `data:` event holding `{"error":…}` or as a bare pretty-printed
 * error object without `data:` (WIRE.md §2.7); the parser hands those lines to `onError`, where
 * they are collected (only then) and read as a Google error.
 *
 * @example
 * for await (const frames of geminiFrames(response.body, createChunkTranslator(options))) write(frames)
 */
export async function* geminiFrames(
  body: ReadableStream<Uint8Array>,
  translator: ChunkTranslator,
): AsyncGenerator<string, void, undefined> {
  const events: string[] = []
  const stray: string[] = []
  const parser = createParser({
    onEvent: (event) => events.push(event.data),
    onError: (error) => stray.push(error.line ?? ''),
  })
  const drain = (): string => {
    let out = ''
    for (const data of events) {
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
      out += translator.push(chunk)
    }
    events.length = 0
    return out
  }
  const strayError = (final: boolean): void => {
    if (stray.length === 0) return
    const reported = parseGoogleError(stray.join('\n'))
    if (reported) throw upstreamStatusError('gemini', reported.code, reported.message, { midStream: true })
    if (final) throw malformedError('gemini')
  }

  const reader = body.getReader()
  const decoder = new TextDecoder()
  try {
    for (;;) {
      let read: ReadableStreamReadResult<Uint8Array>
      try {
        read = await reader.read()
      } catch (error) {
        if (error instanceof Error && error.name === 'AbortError') throw error
        throw truncatedError('gemini', error)
      }
      if (read.done) break
      parser.feed(decoder.decode(read.value, { stream: true }))
      const frames = drain()
      strayError(false)
      if (frames !== '') yield frames
    }
    parser.feed(decoder.decode())
    parser.reset({ consume: true })
    const frames = drain()
    strayError(true)
    yield frames + translator.end()
  } finally {
    // Ends the upstream body when the client left early; a no-op after the last read.
    reader.cancel().catch(() => {})
  }
}
