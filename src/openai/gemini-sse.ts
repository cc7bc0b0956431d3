import type { GenerateContentResponse } from '@google/genai'
import { createParser } from 'eventsource-parser'
import { malformedError, truncatedError, upstreamStatusError } from '../providers/errors'
import { parseGoogleError } from '../providers/gemini/google-error'
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
  /** Frames translated but not yet sent: kept when a later event of the same read fails. */
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

  const reader = body.getReader()
  const decoder = new TextDecoder()
  try {
    for (let done = false; !done; ) {
      let failure: unknown
      try {
        const read = await reader.read().catch((error: unknown) => {
          throw error instanceof Error && error.name === 'AbortError' ? error : truncatedError('gemini', error)
        })
        done = read.done
        if (done) {
          parser.feed(decoder.decode())
          parser.reset({ consume: true })
        } else {
          parser.feed(decoder.decode(read.value, { stream: true }))
        }
        drain()
        strayError(done)
        if (done) ready += translator.end()
      } catch (error) {
        failure = error
      }
      // What arrived before a failure still goes out first.
      if (ready !== '') {
        const frames = ready
        ready = ''
        yield frames
      }
      if (failure !== undefined) throw failure
    }
  } finally {
    // Ends the upstream body when the client left early; a no-op after the last read.
    reader.cancel().catch(() => {})
  }
}
