import type { AnswerResult, PartSink, ToolCallStart } from '../../src/canonical/parts'
import type { AnswerDecoder } from '../../src/providers/types'

/**
 * A {@link PartSink} that writes every canonical part down in order, for decoder tests, and a driver
 * that feeds a decoder a body in reads of a given size the way the engine does (push each read, stop
 * at `isComplete`, then `finish`).
 *
 * @example
 * const decoded = decodeInReads((sink) => geminiDecoder('m', sink, 1 << 20), bytes, 5)
 * expect(decoded.parts).toEqual([['text', 'Hi']]); expect(decoded.result).toMatchObject({ finish: 'stop' })
 */
export type RecordedPart =
  | ['text', string]
  | ['reasoning', string]
  | ['toolCallStart', ToolCallStart]
  | ['toolCallDelta', number, string]
  | ['toolCallEnd', number]
  | ['raw', string]
  | ['modelName', string]

export function recordingSink(): { sink: PartSink; parts: RecordedPart[] } {
  const parts: RecordedPart[] = []
  // fatal: a raw frame must never end inside a UTF-8 character.
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })
  const sink: PartSink = {
    text: (delta) => parts.push(['text', delta]),
    reasoning: (delta) => parts.push(['reasoning', delta]),
    toolCallStart: (call) => parts.push(['toolCallStart', call]),
    toolCallDelta: (index, delta) => parts.push(['toolCallDelta', index, delta]),
    toolCallEnd: (index) => parts.push(['toolCallEnd', index]),
    raw: (frame) => parts.push(['raw', utf8.decode(frame)]),
    modelName: (name) => parts.push(['modelName', name]),
  }
  return { sink, parts }
}

export interface Decoded {
  parts: RecordedPart[]
  /** How the answer ended, when it ended well. */
  result?: AnswerResult
  /** What push or finish threw. */
  error?: unknown
  /** The bytes pushed before the decoder said the answer was complete (all of them when it never did). */
  bytesRead: number
}

/** Feeds `body` to a new decoder in reads of `readSize` bytes (0: one read). */
export function decodeInReads(
  makeDecoder: (sink: PartSink) => AnswerDecoder,
  body: Uint8Array,
  readSize: number,
): Decoded {
  const { sink, parts } = recordingSink()
  const decoder = makeDecoder(sink)
  const size = readSize > 0 ? readSize : Math.max(1, body.length)
  let bytesRead = 0
  try {
    for (let at = 0; at < body.length; at += size) {
      const read = body.slice(at, at + size)
      decoder.push(read)
      bytesRead += read.length
      if (decoder.isComplete?.()) break
    }
    return { parts, result: decoder.finish(), bytesRead }
  } catch (error) {
    return { parts, error, bytesRead }
  }
}

/**
 * {@link decodeInReads}, giving the event loop a turn between reads, so that a test timeout fires
 * while a slow decoder is still at work; it stops reading once `signal` aborts (the test timed out).
 */
export async function decodeInReadsYielding(
  makeDecoder: (sink: PartSink) => AnswerDecoder,
  body: Uint8Array,
  readSize: number,
  signal: AbortSignal,
): Promise<Decoded> {
  const { sink, parts } = recordingSink()
  const decoder = makeDecoder(sink)
  let bytesRead = 0
  try {
    for (let at = 0; at < body.length; at += readSize) {
      await new Promise((resolve) => setTimeout(resolve, 0))
      if (signal.aborted) throw signal.reason
      const read = body.slice(at, at + readSize)
      decoder.push(read)
      bytesRead += read.length
    }
    return { parts, result: decoder.finish(), bytesRead }
  } catch (error) {
    return { parts, error, bytesRead }
  }
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)
