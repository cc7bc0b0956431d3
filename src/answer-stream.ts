import type { RequestRecord } from './observability/request-record'
import { ProviderError } from './providers/errors'
import type { StreamResult } from './providers/types'
import { OPEN_EVENT, PING_EVENT, SSE_HEADERS, chunkEvent, doneEvent, errorEvent } from './sse'

export interface AnswerStreamOptions<Result> {
  /** Names the source in logs, e.g. the provider. */
  source: string
  /** Aborted when the client leaves or the upstream stays silent too long; it ends the upstream request. */
  abort: AbortController
  /** A `: ping` comment goes out after this long without any event. */
  pingIntervalMs: number
  /** The answer fails after this long without a text piece… */
  idleTimeoutMs: number
  /** …with this error. */
  idleError: () => Error
  /** The fields of the closing event after `"chunk":"","done":true`. */
  describe: (result: Result) => object
  /** Start with a `: open` comment, so runtimes that wait for body bytes send the headers at once. */
  open?: boolean
  /**
   * Issue 8: the request's record. The stream counts pieces and bytes on it, makes the closing
   * event safe (`record.closing`: checked model, masked, `request_id`), masks error messages and
   * adds `request_id`, and emits the record's one log line when it ends, fails or the client leaves.
   */
  record?: RequestRecord
}

/** The message a client sees for a failure: a {@link ProviderError}'s own words, or a generic one. */
export function publicErrorMessage(error: unknown): string {
  if (error instanceof ProviderError) return error.message
  return 'gateway: internal error while streaming the answer. Retry; if it persists, check the gateway logs.'
}

/** Logs a failure with its upstream details, which never go to the client. */
export function logFailure(source: string, error: unknown): void {
  const cause = error instanceof Error ? error.cause : undefined
  console.error(
    JSON.stringify({
      event: 'answer_failed',
      source,
      kind: error instanceof ProviderError ? error.kind : 'internal',
      status: error instanceof ProviderError ? error.status : undefined,
      message: error instanceof Error ? error.message : String(error),
      cause: cause instanceof Error ? `${cause.name}: ${cause.message}` : cause === undefined ? undefined : String(cause),
      stack: error instanceof ProviderError ? undefined : error instanceof Error ? error.stack : undefined,
    }),
  )
}

/** The closing event's fields for a provider's answer. */
export function describeResult(result: StreamResult): object {
  return {
    provider: result.provider,
    model: result.model,
    finish_reason: result.finishReason,
    ...(result.usage ? { usage: result.usage } : {}),
  }
}

/**
 * Turns an answer into SSE bytes, one event per text piece as soon as it arrives.
 * Pull-based, so a slow client slows the upstream read instead of filling memory;
 * cancelling the stream (the client left) aborts the upstream request.
 *
 * @example
 * const body = answerStream(streamLLM('gemini', request, { providers, signal: abort.signal }), {
 *   source: 'gemini', abort, pingIntervalMs: 15_000, idleTimeoutMs: 120_000,
 *   idleError: () => idleTimeoutError('gemini', 120_000), describe: describeResult,
 * })
 * return new Response(body, { headers: SSE_HEADERS })
 */
export function answerStream<Result>(
  answer: AsyncGenerator<string, Result, undefined>,
  options: AnswerStreamOptions<Result>,
): ReadableStream<Uint8Array> {
  const { abort, pingIntervalMs, idleTimeoutMs, source, describe, record } = options
  // Issue 8: the failure event, and the log line (through the record when there is one).
  const failureEvent = (error: unknown, message = publicErrorMessage(error)): Uint8Array => {
    if (!record) {
      logFailure(source, error)
      return errorEvent(message)
    }
    const event = errorEvent(record.fail(error, message), { request_id: record.requestId })
    record.finish('error', 200)
    return event
  }
  if (record) record.streaming = true
  let lastEventAt = Date.now()
  let lastTextAt = lastEventAt
  let finished = false
  let timer: ReturnType<typeof setInterval> | undefined

  const finish = (): void => {
    finished = true
    if (timer !== undefined) clearInterval(timer)
  }

  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (options.open) controller.enqueue(OPEN_EVENT)
      const tick = Math.max(10, Math.min(pingIntervalMs, idleTimeoutMs) / 4)
      timer = setInterval(() => {
        const now = Date.now()
        if (now - lastTextAt >= idleTimeoutMs) {
          const error = options.idleError()
          finish()
          controller.enqueue(failureEvent(error, error.message))
          controller.close()
          abort.abort(error)
        } else if (now - lastEventAt >= pingIntervalMs) {
          lastEventAt = now
          controller.enqueue(PING_EVENT)
        }
      }, tick)
    },

    async pull(controller) {
      try {
        const step = await answer.next()
        if (finished) return
        if (step.done) {
          finish()
          const details = describe(step.value)
          controller.enqueue(doneEvent(record ? record.closing(details) : details))
          controller.close()
          record?.finish('done', 200)
          return
        }
        lastEventAt = lastTextAt = Date.now()
        const event = chunkEvent(step.value)
        record?.piece(event.byteLength)
        controller.enqueue(event)
      } catch (error) {
        if (finished) return
        finish()
        controller.enqueue(failureEvent(error))
        controller.close()
      }
    },

    cancel(reason) {
      finish()
      record?.finish('client_left', 200)
      abort.abort(reason ?? new DOMException('The client closed the connection', 'AbortError'))
      // Let the generator run its cleanup (the SDKs release the body) without waiting for it.
      answer.return(undefined as never).catch(() => {})
    },
  })
}

/** A 200 SSE response around a stream of events. */
export function sseResponse(body: ReadableStream<Uint8Array>, headers: Record<string, string> = {}): Response {
  return new Response(body, { status: 200, headers: { ...SSE_HEADERS, ...headers } })
}
