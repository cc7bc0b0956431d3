import type { AnswerResult, FinishReason, PartSink } from '../../canonical/parts'
import { truncatedError } from '../errors'
import { oversizeError } from '../limit-errors'
import type { AnswerDecoder } from '../types'
import {
  CHAT_END,
  CLOSE_BRACKET,
  RESPONSES_END,
  TAIL_BYTES,
  boundaryEnd,
  concat,
  errorEventFailure,
  errorEventStart,
  lastEventStart,
  withoutUsageChunk,
} from './relay-frames'
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

export function relayDecoder(
  api: 'chat' | 'responses',
  model: string,
  sink: PartSink,
  maxEventBytes: number,
  stripUsageChunk = false,
): AnswerDecoder {
  const text = new TextDecoder()
  /** The reads of an event not complete yet. */
  let held: Uint8Array[] = []
  let heldBytes = 0
  /** The last `n` bytes held (n ≤ 3): an event boundary may span them and the next read. */
  const heldTail = (n: number): Uint8Array => {
    const parts: Uint8Array[] = []
    for (let i = held.length - 1, got = 0; i >= 0 && got < n; i--) {
      parts.unshift(held[i]!)
      got += held[i]!.length
    }
    const joined = concat(parts)
    return joined.subarray(joined.length - n)
  }
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
      // Only the new read is searched for an event's end: a long event held over many reads costs linear time.
      const joinAt = heldBytes === 0 ? 0 : Math.min(3, heldBytes)
      const searched = joinAt === 0 ? read : concat([heldTail(joinAt), read])
      const endInSearched = boundaryEnd(searched)
      if (endInSearched <= joinAt) {
        held.push(read)
        heldBytes += read.length
        if (heldBytes > maxEventBytes) throw oversizeError('openai', maxEventBytes)
        return
      }
      const end = endInSearched - joinAt
      const whole = read.subarray(0, end)
      const chunk = heldBytes === 0 ? whole : concat([...held, whole])
      const rest = read.subarray(end)
      held = rest.length > 0 ? [rest.slice()] : []
      heldBytes = rest.length
      const failedAt = api === 'chat' ? errorEventStart(chunk) : -1
      const events = failedAt >= 0 ? chunk.subarray(0, failedAt) : chunk
      if (events.length > 0) {
        passed += events.length
        if (tail.push(events) > 3) tail.shift()
        const out = stripUsageChunk ? withoutUsageChunk(events, text) : events
        if (out.length > 0) sink.raw(out)
        // A terminal event is at a read's end; the look is only at the last bytes.
        if (heldBytes === 0 && failedAt < 0 && ends(events)) complete = true
      }
      if (failedAt >= 0) throw errorEventFailure(chunk.subarray(failedAt))
      // The complete events before it went out; the oversize one never does.
      if (heldBytes > maxEventBytes) throw oversizeError('openai', maxEventBytes)
    },
    isComplete: () => complete,
    usage: () => summary().usage,
    generatedBound: () => passed,
    finish(): AnswerResult {
      if (!complete || heldBytes > 0) throw truncatedError('openai')
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
