import { settleBudget } from '../budgets/gate'
import type { DurableStreamNamespace } from '../env'
import { copyToObject, type ObjectCopy } from './copy-to-object'
import type { RequestScope, StreamHost, StreamSnapshot } from './host'
import { LiveStream, type StreamStart } from './live-stream'

/** The Durable Object's own paths; the host is not reachable from outside (only through a stub). */
const ORIGIN = 'https://resumable-stream.internal'

/** How long new events wait before they are copied to the object, so that several go in one message. */
const COPY_FLUSH_MS = 50
/** How long after the stream starts the copy's socket opens; a shorter answer goes to the object whole when it ends. */
const COPY_OPEN_AFTER_MS = 200

/**
 * How long an answer the worker runs goes on after its own client left. Workers ends a request's
 * `waitUntil` work about 30 s after the client disconnected; the answer ends before that, with an
 * ending every listener can act on, and the copy is complete.
 */
const AFTER_CLIENT_LEFT_MS = 25_000

export interface DurableStreamsSettings {
  /** How long an answer the worker runs goes on after its own client left (25 s). */
  afterClientLeftMs?: number
  /** How long new events wait before they are copied to the object (50 ms). */
  flushMs?: number
  /** How long after the stream starts the copy's socket opens (200 ms). */
  openAfterMs?: number
}

/**
 * Resumable streams on Workers: one Durable Object per stream, addressed by `idFromName(streamId)`,
 * so a reconnect that lands on another edge location reaches the same stream.
 *
 * By default the worker that received the request runs the generation and serves its own client
 * directly (no object on the way to the first text); the events are copied to the object in batches
 * ({@link copyToObject}), which serves every resume and other listener. With RESUME_RUNNER=object,
 * and for background answers (no client), the object ({@link ResumableStream}) runs the generation.
 *
 * @example
 * const host = createDurableStreams(env.RESUMABLE_STREAMS)
 * return host.resume(streamId, 4, 15_000)
 */
export function createDurableStreams(
  namespace: DurableStreamNamespace,
  settings: DurableStreamsSettings = {},
): StreamHost {
  const {
    afterClientLeftMs = AFTER_CLIENT_LEFT_MS,
    flushMs = COPY_FLUSH_MS,
    openAfterMs = COPY_OPEN_AFTER_MS,
  } = settings
  const stub = (streamId: string) => namespace.get(namespace.idFromName(streamId) as never)

  /** Runs the generation here and copies its events to the stream's object. */
  const runHere: StreamHost['start'] = async (start, providers, record, scope) => {
    const { waitUntil, env } = scope as RequestScope
    let copy: ObjectCopy | undefined
    let clientSeen = false
    let deadline: ReturnType<typeof setTimeout> | undefined
    const live = LiveStream.fromStart(start, providers, record, {
      onListeners(count) {
        const own = count - (copy?.holding ? 1 : 0)
        if (own > 0) clientSeen = true
        else if (clientSeen && deadline === undefined) deadline = setTimeout(stopForWorkerLifetime, afterClientLeftMs)
      },
      onEnd: () => clearTimeout(deadline),
      settle: (ticket, spent) => waitUntil(settleBudget(env, ticket, spent).catch(() => {})),
    })
    const stopForWorkerLifetime = (): void =>
      live.stop(
        `${afterClientLeftMs / 1000} s after its client left, the most a Worker runs after that (RESUME_RUNNER=object keeps answers running after a disconnect)`,
      )
    copy = copyToObject(live, {
      connect: () => stub(start.streamId).fetch(copyRequest(start)),
      sendWhole: (body) => stub(start.streamId).fetch(copyRequest(start, body)),
      openAfterMs,
      record,
      flushMs,
      waitUntil,
    })
    waitUntil(live.run())
    return live.firstResponse(start.pingIntervalMs)
  }

  return {
    start(start, providers, record, scope) {
      if (scope && !scope.runInStore && !start.background) return runHere(start, providers, record, scope)
      return runInObject(start)
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

  async function runInObject(start: StreamStart): Promise<Response> {
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
  }
}

/** Opens the copy's WebSocket in the stream's object, or with `body`, hands it a stream that ended. */
function copyRequest(start: StreamStart, body?: Uint8Array<ArrayBuffer>): Request {
  const query = new URLSearchParams({
    stream_id: start.streamId,
    api: start.render.api,
    ttl_ms: String(start.ttlMs),
    state_ttl_ms: String(start.stateTtlMs ?? 0),
  })
  if (body) return new Request(`${ORIGIN}/copied?${query}`, { method: 'POST', body })
  return new Request(`${ORIGIN}/copy?${query}`, { headers: { upgrade: 'websocket' } })
}
