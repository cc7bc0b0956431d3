import type { Bindings } from '../env'
import type { RequestRecord } from '../observability/request-record'
import type { ProviderRegistry } from '../providers/registry'
import type { StreamStart } from './live-stream'

/**
 * Where resumable streams live: in this process ({@link createMemoryStreams}, Bun and Node) or in one
 * Durable Object per stream ({@link createDurableStreams}, Workers). The routes only talk to this.
 *
 * Responses: `start` and `resume` answer 200 with the SSE body and `X-Stream-Id` (`start` may answer
 * the generation's own HTTP error instead, for APIs that have one); `resume` answers 204 when the
 * client already has the closing event, 404 when the stream is unknown or expired; `cancel` answers 204
 * for a known stream, 404 for an unknown one. `start` rejects when it started nothing: with
 * {@link StoreFullError} when running streams fill the store, with the cause when the store failed.
 *
 * The last three methods are optional: the Responses API (`GET /v1/responses/{id}`, background mode,
 * `previous_response_id`) needs them and answers 400 on a host without them. A stream's state is what
 * its renderer's `state()` returns, plain JSON; `keep` puts a value where no stream runs (a whole
 * answer's state, or a pointer to another stream), read back by `snapshot` too.
 *
 * @example
 * const response = await host.start({ streamId, plan, pingIntervalMs, graceMs, ttlMs, maxStreamBytes, record }, providers, record)
 * const current = await host.snapshot?.(streamId) // { finished: false, state: { response: {…} } }
 */
export interface StreamHost {
  /**
   * Starts the generation and returns the first listener's response. The contract for speed: the
   * generation runs where the request arrived and serves its own client from there, never waiting on
   * the shared store; its events are copied to the store off that path, for resumes and listeners
   * elsewhere (the Durable Object of the stream on Workers, Redis on Bun and Node). `providers` and
   * `record` are this request's; `scope` gives the request's bindings and `waitUntil` (Workers).
   * A host may run the generation elsewhere instead (a Durable Object for background mode or
   * RESUME_RUNNER=object): its providers and record are then rebuilt from its bindings and
   * `start.record`. Once it resolves, the generation's host writes the request's log line; when it
   * rejects, nobody has.
   */
  start(start: StreamStart, providers: ProviderRegistry, record: RequestRecord, scope?: RequestScope): Promise<Response>
  /** A listener for the events after `after` (0: from the first). */
  resume(streamId: string, after: number, pingIntervalMs: number): Promise<Response>
  cancel(streamId: string): Promise<Response>
  /**
   * The state of a stream (running or finished, until `max(ttlMs, stateTtlMs)` after its end) or of
   * a kept value; undefined when unknown or expired. `state` is null for a renderer without one.
   */
  snapshot?(streamId: string): Promise<StreamSnapshot | undefined>
  /** Keeps a JSON value under a stream id that runs no stream, for `ttlMs`; a second call replaces it. */
  keep?(streamId: string, value: unknown, ttlMs: number): Promise<void>
  /** Stops the stream if it runs and forgets its events and state now; false when unknown. */
  forget?(streamId: string): Promise<boolean>
}

/** What a host may need of the request that starts a stream. */
export interface RequestScope {
  /** The request's bindings (where the generation's budget settles). */
  env: Bindings
  /** Keeps the runtime up after the response for `work` (`ctx.waitUntil` on Workers; nothing to do elsewhere). */
  waitUntil: (work: Promise<unknown>) => void
  /** RESUME_RUNNER=object: run the generation in the shared store, not here. */
  runInStore: boolean
}

export interface StreamSnapshot {
  /** The closing event is written (always true for a kept value). */
  finished: boolean
  state: unknown
}

export const finishedResponse = (): Response => new Response(null, { status: 204 })
export const unknownResponse = (): Response => new Response(null, { status: 404 })

/** Seconds a client refused by a full store is asked to wait: streams finish, or expire, within that. */
export const STORE_FULL_RETRY_SECONDS = 5

/** `start` started nothing because running streams fill the store: the route answers 503 with `Retry-After`. */
export class StoreFullError extends Error {
  override readonly name = 'StoreFullError'
  constructor() {
    super('running streams fill the resumable stream store')
  }
}
