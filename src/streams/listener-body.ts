import { PING_EVENT, RETRY_EVENT, SSE_HEADERS } from '../sse'
import type { StreamLog } from './stream-log'

/**
 * One client's view of a stream log as an SSE body: `retry: 1000` first, then the events after
 * `after` (replayed, then live) and the closing event. A `: ping` goes out when nothing else did for
 * `pingIntervalMs`. The client leaving detaches it from the log (which may start the grace).
 *
 * @example
 * return listenerResponse(log, 0, { pingIntervalMs: 15_000 })
 */
export function listenerBody(log: StreamLog, after: number, options: { pingIntervalMs: number }): ReadableStream<Uint8Array> {
  let detach: (() => void) | undefined
  let timer: ReturnType<typeof setInterval> | undefined
  let closed = false
  let sent = 0
  let sentAtPing = 0

  const stop = (): void => {
    closed = true
    clearInterval(timer)
    detach?.()
  }

  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(RETRY_EVENT)
      detach = log.attach(after, {
        push(bytes) {
          if (closed) return
          sent++
          controller.enqueue(bytes)
        },
        close() {
          if (closed) return
          stop()
          controller.close()
        },
      })
      if (closed) return
      timer = setInterval(() => {
        if (sent === sentAtPing) controller.enqueue(PING_EVENT)
        sentAtPing = sent
      }, options.pingIntervalMs)
    },
    cancel() {
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
