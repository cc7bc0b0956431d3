import { PING_EVENT, RETRY_EVENT, SSE_HEADERS } from '../sse'
import { type Periodic, ticker } from '../timers/ticker'
import type { LogSink, StreamLog } from './stream-log'

/**
 * One client's view of a stream log as an SSE body: `retry: 1000` first, then the events after
 * `after` (replayed, then live) and the closing event. A `: ping` goes out when nothing else did for
 * `pingIntervalMs`. The client leaving detaches it from the log (which may start the grace).
 *
 * Pull-based: events wait in the log (which keeps them anyway) until the client's connection asks
 * for more; each pull hands over everything that arrived since, the bytes encoded once by the log.
 *
 * @example
 * return listenerResponse(log, 0, { pingIntervalMs: 15_000 })
 */
export function listenerBody(
  log: StreamLog,
  after: number,
  options: { pingIntervalMs: number },
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(new Listener(log, after, options.pingIntervalMs))
}

/** A 200 SSE response following a stream, with its id in `X-Stream-Id`. */
export function listenerResponse(log: StreamLog, after: number, options: { pingIntervalMs: number }): Response {
  return new Response(listenerBody(log, after, options), {
    status: 200,
    headers: { ...SSE_HEADERS, 'x-stream-id': log.streamId },
  })
}

/**
 * The body's source, the log's sink and the ping's task in one object (methods, no closures: an open
 * stream holds one of these). A pull with nothing to send returns at once and leaves `waiting` set;
 * the next event is then enqueued as it arrives, which makes the stream pull again.
 */
class Listener implements LogSink, Periodic {
  private readonly log: StreamLog
  private readonly after: number
  private readonly pingIntervalMs: number
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined
  private detach: (() => void) | undefined
  private pending: Uint8Array[] = []
  /** The connection asked for more and nothing was there. */
  private waiting = false
  private ended = false
  private done = false
  /** Events handed to the body, and that count at the last ping check. */
  private sent = 0
  private sentAtPing = 0

  constructor(log: StreamLog, after: number, pingIntervalMs: number) {
    this.log = log
    this.after = after
    this.pingIntervalMs = pingIntervalMs
  }

  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.controller = controller
    controller.enqueue(RETRY_EVENT)
    this.detach = this.log.attach(this.after, this)
    if (!this.ended) ticker.start(this, this.pingIntervalMs)
  }

  pull(): void {
    if (this.done) return
    if (this.pending.length === 0 && !this.ended) {
      this.waiting = true
      return
    }
    this.flush()
  }

  cancel(): void {
    this.stop()
  }

  /** From the log: the next event. */
  push(bytes: Uint8Array): void {
    this.pending.push(bytes)
    if (this.waiting) this.flush()
  }

  /** From the log: the closing event was pushed. */
  close(): void {
    this.ended = true
    if (this.waiting) this.flush()
  }

  tick(): void {
    if (this.sent === this.sentAtPing && this.pending.length === 0) this.controller!.enqueue(PING_EVENT)
    this.sentAtPing = this.sent
  }

  /** Hands over every pending event, and closes the body after the closing one. */
  private flush(): void {
    this.waiting = false
    const controller = this.controller!
    const batch = this.pending
    this.pending = []
    this.sent += batch.length
    for (const bytes of batch) controller.enqueue(bytes)
    if (this.ended) {
      this.stop()
      controller.close()
    }
  }

  private stop(): void {
    if (this.done) return
    this.done = true
    ticker.stop(this)
    this.detach?.()
  }
}
