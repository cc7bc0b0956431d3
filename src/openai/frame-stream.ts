import { ProviderError } from '../providers/errors'
import { describeFailure, errorFrame } from './errors'

/**
 * The body of a streamed chat completion: frames as they come (pull-based, so a slow client
 * slows the upstream read), a `: ping` comment while the upstream is quiet, and a failure after
 * the first frame as an error frame the openai SDKs raise. Cancelling the body (the client left)
 * aborts the upstream request.
 *
 * @example
 * const first = await frames.next() // before the status is sent: a failure here is a plain error reply
 * return new Response(frameStream(first.value, frames, { abort, pingIntervalMs: 15_000, idleTimeoutMs: 120_000, idleError }))
 */

export interface FrameStreamOptions {
  /** Aborted when the client leaves or the upstream stays silent too long. */
  abort: AbortController
  pingIntervalMs: number
  idleTimeoutMs: number
  idleError: () => ProviderError
  /** Names the provider in the log line of a failure. */
  source: string
}

type Frame = string | Uint8Array

const encoder = new TextEncoder()
const PING = encoder.encode(': ping\n\n')
const bytes = (frame: Frame): Uint8Array => (typeof frame === 'string' ? encoder.encode(frame) : frame)

export const STREAM_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
}

function logFailure(source: string, error: unknown): void {
  const cause = error instanceof Error ? error.cause : undefined
  console.error(
    JSON.stringify({
      event: 'openai_api_stream_failed',
      source,
      kind: error instanceof ProviderError ? error.kind : 'internal',
      message: error instanceof Error ? error.message : String(error),
      cause: cause instanceof Error ? `${cause.name}: ${cause.message}` : undefined,
    }),
  )
}

export function frameStream(
  first: Frame | undefined,
  rest: AsyncGenerator<Frame, void, undefined>,
  options: FrameStreamOptions,
): ReadableStream<Uint8Array> {
  const { abort, pingIntervalMs, idleTimeoutMs } = options
  let lastFrameAt = Date.now()
  let lastSentAt = lastFrameAt
  let timer: ReturnType<typeof setInterval> | undefined
  const stop = () => clearInterval(timer)

  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (first !== undefined) controller.enqueue(bytes(first))
      timer = setInterval(() => {
        const now = Date.now()
        if (now - lastFrameAt >= idleTimeoutMs) {
          stop()
          abort.abort(options.idleError())
        } else if (now - lastSentAt >= pingIntervalMs) {
          lastSentAt = now
          controller.enqueue(PING)
        }
      }, Math.max(10, Math.min(pingIntervalMs, idleTimeoutMs) / 4))
    },

    async pull(controller) {
      try {
        const step = await rest.next()
        if (step.done) {
          stop()
          controller.close()
          return
        }
        lastFrameAt = lastSentAt = Date.now()
        controller.enqueue(bytes(step.value))
      } catch (error) {
        stop()
        const reason: unknown = abort.signal.reason
        const failure = abort.signal.aborted && reason instanceof ProviderError ? reason : error
        logFailure(options.source, failure)
        const { message, code } = describeFailure(failure)
        controller.enqueue(errorFrame(message, code))
        controller.close()
      }
    },

    cancel(reason) {
      stop()
      abort.abort(reason ?? new DOMException('The client closed the connection', 'AbortError'))
      rest.return(undefined).catch(() => {})
    },
  })
}
