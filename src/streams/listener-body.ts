import { PING_EVENT, RETRY_EVENT, SSE_HEADERS } from '../sse'
import type { StreamLog } from './stream-log'

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
  let detach: (() => void) | undefined
  let timer: ReturnType<typeof setInterval> | undefined
  let pending: Uint8Array[] = []
  let ended = false
  let cancelled = false
  let wake: (() => void) | undefined
  let sent = 0
  let sentAtPing = 0

  const stop = (): void => {
    clearInterval(timer)
    detach?.()
  }

  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(RETRY_EVENT)
      detach = log.attach(after, {
        push(bytes) {
          pending.push(bytes)
          wake?.()
        },
        close() {
          ended = true
          wake?.()
        },
      })
      if (ended) return
      timer = setInterval(() => {
        if (sent === sentAtPing && pending.length === 0) controller.enqueue(PING_EVENT)
        sentAtPing = sent
      }, options.pingIntervalMs)
    },
    async pull(controller) {
      while (pending.length === 0 && !ended && !cancelled) await new Promise<void>((resolve) => (wake = resolve))
      wake = undefined
      if (cancelled) return
      const batch = pending
      pending = []
      sent += batch.length
      for (const bytes of batch) controller.enqueue(bytes)
      if (ended && pending.length === 0) {
        stop()
        controller.close()
      }
    },
    cancel() {
      cancelled = true
      wake?.()
      stop()
    },
  })
}

/** A 200 SSE response following a stream, with its id in `X-Stream-Id`. */
export function listenerResponse(log: StreamLog, after: number, options: { pingIntervalMs: number }): Response {
  return new Response(listenerBody(log, after, options), {
    status: 200,
    headers: { ...SSE_HEADERS, 'x-stream-id': log.streamId },
  })
}
