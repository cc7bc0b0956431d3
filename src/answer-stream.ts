import { Generation, type GenerationPlan } from './flows/generation'
import type { RequestRecord } from './observability/request-record'
import { ProviderError } from './providers/errors'
import type { StreamResult } from './providers/types'
import { OPEN_EVENT, PING_EVENT, SSE_HEADERS, chunkEvent, doneEvent, errorEvent } from './sse'

/** How a stream ended, for the log line. */
export type StreamOutcome = 'done' | 'error' | 'client_left'

export interface AnswerStreamOptions {
  /** A `: ping` comment goes out when nothing else went out for about this long. */
  pingIntervalMs: number
  /** Start with a `: open` comment, so runtimes that wait for body bytes send the headers at once. */
  open?: boolean
  /**
   * The request's record: it counts pieces and bytes, makes the closing event safe (checked model
   * name, masked, `request_id`), masks error messages, and writes the request's one log line when
   * the stream ends, fails or the client leaves.
   */
  record?: RequestRecord
}

/** The message a client sees for a failure: a {@link ProviderError}'s own words, or a generic one. */
export function publicErrorMessage(error: unknown): string {
  if (error instanceof ProviderError) return error.message
  return 'gateway: internal error while streaming the answer. Retry; if it persists, check the gateway logs.'
}

/** The closing event's fields for a provider's answer. */
export function describeResult(result: StreamResult, attempts: number): Record<string, unknown> {
  return {
    provider: result.provider,
    model: result.model,
    finish_reason: result.finishReason,
    ...(result.usage ? { usage: result.usage } : {}),
    attempts,
  }
}

/**
 * An answer as SSE bytes, one event per text piece as soon as its upstream event is complete.
 * Pull-based, so a slow client slows the upstream read instead of filling memory; cancelling the
 * stream (the client left) closes the upstream request.
 *
 * @example
 * const { body } = answerStream(plan, { pingIntervalMs: 15_000 })
 * return new Response(body, { headers: SSE_HEADERS })
 */
export function answerStream(
  plan: GenerationPlan,
  options: AnswerStreamOptions,
): { body: ReadableStream<Uint8Array>; generation: Generation } {
  const { record } = options
  if (record) record.streaming = true
  let controller!: ReadableStreamDefaultController<Uint8Array>
  let sent = 0
  let sentAtPing = 0
  let timer: ReturnType<typeof setInterval> | undefined

  const end = (outcome: StreamOutcome): void => {
    if (timer === undefined) return
    clearInterval(timer)
    timer = undefined
    if (record) {
      record.set({ attempts: generation.attempts })
      record.finish(outcome, 200)
    }
  }

  const generation = new Generation(plan, {
    text(piece) {
      sent++
      const event = chunkEvent(piece)
      record?.piece(event.byteLength)
      controller.enqueue(event)
    },
    done(result, attempts) {
      const details = describeResult(result, attempts)
      controller.enqueue(doneEvent(record ? record.closing(details) : details))
      controller.close()
      end('done')
    },
    fail(error) {
      const message = publicErrorMessage(error)
      controller.enqueue(
        record ? errorEvent(record.fail(error, message), { request_id: record.requestId }) : errorEvent(message),
      )
      controller.close()
      end('error')
    },
  })

  const body = new ReadableStream<Uint8Array>({
    start(streamController) {
      controller = streamController
      if (options.open) controller.enqueue(OPEN_EVENT)
      timer = setInterval(() => {
        if (sent === sentAtPing) controller.enqueue(PING_EVENT)
        sentAtPing = sent
      }, options.pingIntervalMs)
    },
    async pull() {
      // A step may bring no text (a usage event, a retry): keep reading until something went out.
      const before = sent
      while (sent === before && (await generation.step())) {}
    },
    cancel(reason) {
      generation.abort(reason ?? new DOMException('The client closed the connection', 'AbortError'))
      end('client_left')
    },
  })
  return { body, generation }
}

/** A 200 SSE response around a stream of events. */
export function sseResponse(body: ReadableStream<Uint8Array>, headers: Record<string, string> = {}): Response {
  return new Response(body, { status: 200, headers: { ...SSE_HEADERS, ...headers } })
}
