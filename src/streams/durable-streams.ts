import type { DurableStreamNamespace } from '../env'
import type { StreamHost, StreamSnapshot } from './host'

/** The Durable Object's own paths; the host is not reachable from outside (only through a stub). */
const ORIGIN = 'https://resumable-stream.internal'

/**
 * Resumable streams on Workers: one Durable Object per stream, addressed by `idFromName(streamId)`,
 * so a reconnect that lands on another edge location reaches the same generation. The worker only
 * routes; the object ({@link ResumableStream}) runs the generation and serves every listener.
 *
 * @example
 * const host = createDurableStreams(env.RESUMABLE_STREAMS)
 * return host.resume(streamId, 4, 15_000)
 */
export function createDurableStreams(namespace: DurableStreamNamespace): StreamHost {
  const stub = (streamId: string) => namespace.get(namespace.idFromName(streamId) as never)
  return {
    async start(start) {
      const response = await stub(start.streamId).fetch(
        new Request(`${ORIGIN}/start`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(start),
        }),
      )
      // The object refuses a second start (stream ids are random, so never expected): nothing was started.
      if (response.status === 409) throw new Error('the Durable Object already holds a stream with this id')
      return response
    },
    resume: (streamId, after, pingIntervalMs) =>
      stub(streamId).fetch(
        new Request(`${ORIGIN}/resume?stream_id=${streamId}&after=${after}&ping_ms=${pingIntervalMs}`),
      ),
    cancel: (streamId) =>
      stub(streamId).fetch(new Request(`${ORIGIN}/cancel?stream_id=${streamId}`, { method: 'DELETE' })),
    async snapshot(streamId) {
      const response = await stub(streamId).fetch(new Request(`${ORIGIN}/snapshot`))
      return response.ok ? ((await response.json()) as StreamSnapshot) : undefined
    },
    async keep(streamId, value, ttlMs) {
      const response = await stub(streamId).fetch(
        new Request(`${ORIGIN}/keep?ttl_ms=${ttlMs}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(value ?? null),
        }),
      )
      if (!response.ok) throw new Error(`the stream object did not keep the value (HTTP ${response.status})`)
    },
    async forget(streamId) {
      const response = await stub(streamId).fetch(new Request(`${ORIGIN}/forget`, { method: 'DELETE' }))
      return response.status === 204
    },
  }
}
