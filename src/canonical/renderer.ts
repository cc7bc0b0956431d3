import type { AnswerResult, PartSink } from './parts'

/**
 * Where a renderer writes: the client's response body directly, or a resumable stream's log (which
 * adds `id: <stream id>:<n>` to each event). A renderer writes whole SSE events only.
 *
 * @example
 * writer.event('data: {"chunk":"Hi","done":false}\n\n')
 * writer.events(upstreamBytes) // one or more whole events of the provider's own, passed through
 */
export interface EventWriter {
  /** One whole SSE event without an `id:` line: `data: …\n\n`, or `event: …\ndata: …\n\n`. Returns its size in bytes. */
  event(text: string): number
  /** One or more whole SSE events, as bytes. */
  events(bytes: Uint8Array): void
}

/**
 * One public API's way of writing an answer: it receives the canonical parts as the engine decodes
 * them and writes its own events. The engine retries and falls back only while {@link written} is 0,
 * so nothing a client saw is ever sent twice.
 *
 * @example
 * const renderer = createSeedRenderer(writer, record)
 * const generation = new Generation(plan, renderer)
 */
export interface Renderer extends PartSink {
  /** Events written so far. */
  readonly written: number
  /** An upstream request is about to be sent to this provider and model (a retry or a fallback too). */
  begin?(provider: string, model: string): void
  /** The answer ended well: the closing event(s). `extra`: fields for the closing event (the budget's figures). */
  done(result: AnswerResult, attempts: number, extra?: Record<string, unknown>): void
  /** The answer failed: the closing error event(s). `error`'s message is safe when it is a ProviderError. */
  fail(error: unknown): void
  /** The stream was stopped on request (DELETE): the closing event(s) saying so. */
  cancelled(details: { provider: string; model: string; attempts: number }): void
  /**
   * For APIs whose errors before any output are HTTP errors (chat completions, Responses): the
   * response for a failure while {@link written} is 0. Without it, errors are always events.
   */
  failedResponse?(error: unknown): Response
  /**
   * For APIs whose answers can be read back (Responses: `GET /v1/responses/{id}`): the answer as it
   * stands, as plain JSON, kept by the stream host where the generation runs.
   */
  state?(): unknown
}

/** A renderer for a whole (not streamed) answer: it also makes the response once the answer ended. */
export interface WholeRenderer extends Renderer {
  response(): Response
}
