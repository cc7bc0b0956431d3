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
 * @example
 * const response = await host.start({ streamId, plan, pingIntervalMs, graceMs, ttlMs, maxStreamBytes, record }, providers, record)
 */
export interface StreamHost {
  /**
   * Starts the generation and returns the first listener's response. `providers` and `record` serve
   * where the host runs in-process; elsewhere they are rebuilt from its bindings and `start.record`.
   * Once it resolves, the generation's host writes the request's log line; when it rejects, nobody has.
   */
  start(start: StreamStart, providers: ProviderRegistry, record: RequestRecord): Promise<Response>
  /** A listener for the events after `after` (0: from the first). */
  resume(streamId: string, after: number, pingIntervalMs: number): Promise<Response>
  cancel(streamId: string): Promise<Response>
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
