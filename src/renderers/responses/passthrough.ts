import type { Json } from './json'

/**
 * What a renderer needs to end an OpenAI stream it relays byte for byte (raw frames) when the relay
 * breaks off or is cancelled: the response of its `response.created` and the last
 * `sequence_number`, so the closing events continue the numbering with the same response id.
 * Only the first and the last frame are kept, and they are read only then: the relay itself
 * never parses a frame.
 *
 * @example
 * const relayed = new RelayedStream()
 * relayed.track(frame)          // for every raw frame
 * relayed.ending()              // { response: {...}, nextSequence: 17 }, or undefined once the stream already ended
 * relayed.response()            // the latest Response object it carried, for GET /v1/responses/{id}
 */

const TERMINAL = new Set(['response.completed', 'response.failed', 'response.incomplete'])
const responseOf = (data: Json | undefined) =>
  data && typeof data.response === 'object' && data.response !== null ? (data.response as Json) : undefined
const decoder = new TextDecoder()

/** The JSON `data` of each event in a chunk of whole SSE events. */
function eventData(frame: Uint8Array): Json[] {
  const out: Json[] = []
  for (const block of decoder.decode(frame).split(/\r?\n\r?\n/)) {
    const data = block
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''))
      .join('\n')
    if (data === '') continue
    try {
      const parsed: unknown = JSON.parse(data)
      if (typeof parsed === 'object' && parsed !== null) out.push(parsed as Json)
    } catch {
      // Not JSON: nothing to learn from it.
    }
  }
  return out
}

export class RelayedStream {
  private first: Uint8Array | undefined
  private last: Uint8Array | undefined

  /** True once a frame was relayed. */
  get active(): boolean {
    return this.first !== undefined
  }

  track(frame: Uint8Array): void {
    this.first ??= frame
    this.last = frame
  }

  /**
   * Where closing events go: the relayed response (from `response.created`, if seen) and the next
   * sequence number; `undefined` when the relayed stream already sent its terminal event.
   */
  ending(): { response: Json | undefined; nextSequence: number } | undefined {
    const last = this.last ? eventData(this.last) : []
    if (last.some((data) => TERMINAL.has(String(data.type)))) return undefined
    const numbers = last.map((data) => data.sequence_number).filter((n): n is number => typeof n === 'number')
    return { response: this.created(), nextSequence: numbers.length > 0 ? Math.max(...numbers) + 1 : 0 }
  }

  /** The latest Response object relayed: the terminal event's, a lifecycle event's in the last frame, else the created one. */
  response(): Json | undefined {
    const last = this.last ? eventData(this.last) : []
    return responseOf(last.findLast((data) => responseOf(data) !== undefined)) ?? this.created()
  }

  private created(): Json | undefined {
    return responseOf(this.first ? eventData(this.first).find((data) => data.type === 'response.created') : undefined)
  }
}
