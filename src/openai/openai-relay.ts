import { oversizeError, truncatedError } from '../providers/errors'
import type { AnswerSummary, FrameSource } from './frame-source'

/**
 * OpenAI's stream, passed through as it arrives: the upstream's own bytes, one read at a time.
 * The only work per read is a look at its last bytes: bytes after the last blank line are held
 * until their event is complete, so that an error frame after a cut connection never glues onto
 * half an event. A stream that ends without `data: [DONE]` was cut: that is an error frame too.
 * An incomplete event held past `maxEventBytes` (MAX_UPSTREAM_EVENT_BYTES) ends the answer instead
 * of growing (a complete event is never held: it goes out as the read brought it).
 * The last three writes are kept (by reference) so that the log line can quote the usage frame.
 *
 * @example
 * return streamResponse(createRelaySource(1 << 20), upstream.body, options)
 */

const LF = 0x0a
const CR = 0x0d
const DONE = /data: ?\[DONE\]\s*$/
const CLOSE_BRACKET = 0x5d

/** Whether an event-aligned chunk ends with `data: [DONE]` (a byte look first, the regex only then). */
function endsWithDone(chunk: Uint8Array): boolean {
  if (!chunk.subarray(-6).includes(CLOSE_BRACKET)) return false
  return DONE.test(new TextDecoder().decode(chunk.subarray(-32)))
}
/** How much of the stream's end is read for the usage frame and the finish reason. */
const SUMMARY_TAIL = 4096

/** The index after the last event boundary (`\n\n`, `\r\n\r\n` or `\r\r`), 0 if there is none. */
export function boundaryEnd(bytes: Uint8Array): number {
  for (let i = bytes.length - 1; i > 0; i--) {
    const byte = bytes[i]
    if ((byte === LF || byte === CR) && bytes[i - 1] === byte) return i + 1
    if (byte === LF && bytes[i - 1] === CR && bytes[i - 2] === LF && i >= 3 && bytes[i - 3] === CR) return i + 1
  }
  return 0
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length)
  joined.set(a)
  joined.set(b, a.length)
  return joined
}

/** The usage frame (`include_usage`), the last finish reason and the model, from the stream's last bytes. */
export function summarize(tail: string): AnswerSummary {
  const summary: AnswerSummary = {}
  const finish = [...tail.matchAll(/"finish_reason"\s*:\s*"([a-z_]+)"/g)].pop()
  if (finish) summary.finish_reason = finish[1]
  const at = tail.lastIndexOf('data: {')
  if (at >= 0) {
    try {
      const frame = JSON.parse(tail.slice(at + 6).split(/\r?\n/, 1)[0]!) as { model?: unknown; usage?: unknown }
      if (typeof frame.model === 'string') summary.model = frame.model
      if (frame.usage && typeof frame.usage === 'object') summary.usage = frame.usage
    } catch {
      // Not a whole frame: the log line goes without.
    }
  }
  return summary
}

export function createRelaySource(maxEventBytes: number): FrameSource {
  let held: Uint8Array | undefined
  let last: Uint8Array | undefined
  let previous: Uint8Array | undefined
  let older: Uint8Array | undefined
  return {
    push(read, emit) {
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
        older = previous
        previous = last
        last = chunk
        emit(chunk)
      }
      // The complete events before it went out; the oversize one never does.
      if (oversize) throw oversizeError('openai', maxEventBytes)
      return held === undefined && chunk.length > 0 && endsWithDone(chunk)
    },

    end() {
      if (held !== undefined || !last || !endsWithDone(last)) throw truncatedError('openai')
    },

    summary() {
      if (!last) return {}
      // The finish frame, the usage frame and [DONE] may each have come in a read of their own.
      const decoder = new TextDecoder()
      const tail = [older, previous, last]
        .map((chunk) => (chunk ? decoder.decode(chunk.subarray(-SUMMARY_TAIL)) : ''))
        .join('')
      return summarize(tail.slice(-SUMMARY_TAIL))
    },
  }
}
