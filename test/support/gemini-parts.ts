/**
 * A recorded Gemini stream (test/fixtures/gemini-*.sse) played through the gateway's Gemini decoder
 * into a PartSink, the way the engine does: the bytes are pushed in pieces of 61 bytes (so events
 * and characters are cut across reads), then `finish()` gives the AnswerResult or throws the
 * stream's error.
 *
 * @example
 * const result = playGeminiFixture('gemini-thinking-function-call.sse', renderer)
 * renderer.done(result, 1)
 */
import { readFileSync } from 'node:fs'
import type { AnswerResult, PartSink } from '../../src/canonical/parts'
import { geminiDecoder } from '../../src/providers/gemini/decoder'

/** Plays the fixture `name` into `sink`; returns how the answer ended, or throws its error. */
export function playGeminiFixture(name: string, sink: PartSink, model = 'gemini-2.5-flash'): AnswerResult {
  const bytes = readFileSync(new URL(`../fixtures/${name}`, import.meta.url))
  const decoder = geminiDecoder(model, sink, 1 << 20)
  for (let at = 0; at < bytes.length; at += 61) decoder.push(new Uint8Array(bytes.subarray(at, at + 61)))
  return decoder.finish()
}
