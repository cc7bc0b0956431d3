import type { AnswerResult, FinishReason, PartSink } from '../../canonical/parts'
import { truncatedError } from '../errors'
import { oversizeError } from '../limit-errors'
import type { AnswerDecoder } from '../types'
import { readSummary } from './relay-summary'

/**
 * OpenAI's own stream, passed through as it arrives: each read's whole events go to the sink as one
 * raw frame. Bytes after the last blank line are held until their event is complete, so that an
 * error frame after a cut connection never glues onto half an event; an incomplete event held past
 * `maxEventBytes` (MAX_UPSTREAM_EVENT_BYTES) ends the answer instead of growing. A chat completions
 * stream is complete at `data: [DONE]`, a Responses stream at its terminal event; one that ends
 * before was cut. The last reads are kept (by reference) to read the usage and finish reason from.
 *
 * @example
 * const decoder = relayDecoder('chat', 'gpt-4.1-mini', sink, 1 << 20)
 * decoder.push(bytes) // sink.raw(the whole events in bytes)
 */

const LF = 0x0a
const CR = 0x0d
/** How much of the stream's end is read for the usage and the finish reason. */
const TAIL_BYTES = 8192

/** The index after the last event boundary (`\n\n`, `\r\n\r\n` or `\r\r`), 0 if there is none. */
export function boundaryEnd(bytes: Uint8Array): number {
  for (let i = bytes.length - 1; i > 0; i--) {
    const byte = bytes[i]
    if ((byte === LF || byte === CR) && bytes[i - 1] === byte) return i + 1
    if (byte === LF && bytes[i - 1] === CR && bytes[i - 2] === LF && i >= 3 && bytes[i - 3] === CR) return i + 1
  }
  return 0
}

const USAGE_CHUNK = /data: ?\{[^\n]*"choices":\[\],[^\n]*"usage":\{[^\n]*\r?\n\r?\n/g
const encoder = new TextEncoder()

/** The events without the usage-only chunk (`"choices":[]` and `"usage"`), which the client did not ask for. */
function withoutUsageChunk(chunk: Uint8Array, text: TextDecoder): Uint8Array {
  const events = text.decode(chunk)
  if (!events.includes('"choices":[]')) return chunk
  return encoder.encode(events.replace(USAGE_CHUNK, ''))
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length)
  joined.set(a)
  joined.set(b, a.length)
  return joined
}

const CHAT_END = /data: ?\[DONE\]\s*$/
const RESPONSES_END =
  /^(event: ?response\.(completed|incomplete|failed)|data: ?\{"type":"response\.(completed|incomplete|failed)")/
const CLOSE_BRACKET = 0x5d

/** The start of the last event of an event-aligned chunk. */
function lastEventStart(chunk: Uint8Array): number {
  for (let i = chunk.length - 3; i > 0; i--) {
    if (chunk[i] === LF && (chunk[i - 1] === LF || (chunk[i - 1] === CR && chunk[i - 2] === LF))) return i + 1
  }
  return 0
}

export function relayDecoder(
  api: 'chat' | 'responses',
  model: string,
  sink: PartSink,
  maxEventBytes: number,
  stripUsageChunk = false,
): AnswerDecoder {
  const text = new TextDecoder()
  let held: Uint8Array | undefined
  const tail: Uint8Array[] = []
  let complete = false
  let passed = 0
  /** The Responses stream's terminal event, kept whole: its `response` carries the usage. */
  let terminal: Uint8Array | undefined
  /** A look at the chunk's last bytes only: `[DONE]`, or a terminal event's first line. */
  const ends = (chunk: Uint8Array): boolean => {
    if (api === 'chat') {
      return chunk.subarray(-8).includes(CLOSE_BRACKET) && CHAT_END.test(text.decode(chunk.subarray(-32)))
    }
    const start = lastEventStart(chunk)
    if (!RESPONSES_END.test(text.decode(chunk.subarray(start, start + 64)))) return false
    terminal = chunk.subarray(start)
    return true
  }
  const summary = (): ReturnType<typeof readSummary> => {
    if (terminal) return readSummary(api, text.decode(terminal))
    const joined = tail.map((chunk) => text.decode(chunk.subarray(-TAIL_BYTES))).join('')
    return readSummary(api, joined.slice(-TAIL_BYTES * 2))
  }
  return {
    push(read) {
      let chunk = held ? concat(held, read) : read
      held = undefined
      const end =
        chunk.length > 1 && chunk[chunk.length - 1] === LF && chunk[chunk.length - 2] === LF
          ? chunk.length
          : boundaryEnd(chunk)
      const oversize = chunk.length - end > maxEventBytes
      if (end < chunk.length) {
        held = oversize ? undefined : chunk.slice(end)
        chunk = chunk.subarray(0, end)
      }
      if (chunk.length > 0) {
        passed += chunk.length
        if (tail.push(chunk) > 3) tail.shift()
        const out = stripUsageChunk ? withoutUsageChunk(chunk, text) : chunk
        if (out.length > 0) sink.raw(out)
        // A terminal event is at a read's end; the look is only at the last bytes.
        if (held === undefined && ends(chunk)) complete = true
      }
      // The complete events before it went out; the oversize one never does.
      if (oversize) throw oversizeError('openai', maxEventBytes)
    },
    isComplete: () => complete,
    usage: () => summary().usage,
    generatedBound: () => passed,
    finish(): AnswerResult {
      if (!complete) throw truncatedError('openai')
      const found = summary()
      return {
        provider: 'openai',
        model: found.model ?? model,
        finish: found.finish ?? 'stop',
        rawFinish: found.rawFinish ?? '',
        ...(found.usage ? { usage: found.usage } : {}),
      }
    },
  }
}

/** A whole (not streamed) OpenAI body, passed through as one raw frame once it is read, bounded. */
export function wholeBodyDecoder(
  api: 'chat' | 'responses',
  model: string,
  sink: PartSink,
  maxBytes: number,
): AnswerDecoder {
  const reads: Uint8Array[] = []
  let size = 0
  let found: ReturnType<typeof readSummary> = {}
  return {
    push(read) {
      size += read.byteLength
      if (size > maxBytes) throw oversizeError('openai', maxBytes)
      reads.push(read)
    },
    usage: () => found.usage,
    generatedBound: () => size,
    finish(): AnswerResult {
      const body = new Uint8Array(size)
      let offset = 0
      for (const read of reads) {
        body.set(read, offset)
        offset += read.byteLength
      }
      found = readSummary(api, new TextDecoder().decode(body), true)
      sink.raw(body)
      const finish: FinishReason = found.finish ?? 'stop'
      return {
        provider: 'openai',
        model: found.model ?? model,
        finish,
        rawFinish: found.rawFinish ?? '',
        ...(found.usage ? { usage: found.usage } : {}),
      }
    },
  }
}
