import { readConfig, type Bindings } from '../env'
import { readSecurity } from '../access/settings'
import { settleBudget } from '../budgets/gate'
import { RequestRecord } from '../observability/request-record'
import { providersFor } from '../providers/registry'
import { finishedResponse, unknownResponse } from './host'
import { listenerResponse } from './listener-body'
import { LiveStream, type StreamStart } from './live-stream'
import { StreamLog } from './stream-log'
import { decodeWhole } from './copy-messages'
import type { RenderSpec } from '../renderers/spec'
import { ReceivedCopy } from './received-copy'
import { logKeys, persistLog, restoreLog, type StoredMeta } from './stored-log'
import { deleteState, getState, putState, stateExpiry } from './stored-state'

/** How long a resume, DELETE or snapshot of an unknown stream waits for a copy that may be on its way. */
const ARRIVAL_WAIT_MS = 1000
/** How long a resume waits for events its client has and the copy does not yet. */
const CATCH_UP_MS = 2000

/**
 * One resumable stream on Workers (SQLite-backed Durable Object, addressed by `idFromName(streamId)`).
 * It holds the stream's log and serves every listener but the first, replay then live, in one of two
 * ways:
 * - a copy (`GET /copy`, a WebSocket): the worker that received the request runs the generation and
 *   serves its own client; the events arrive here in batches ({@link ReceivedCopy}), or whole in one
 *   request (`POST /copied`) when the answer ended before the socket opened. DELETE and the
 *   listeners here reach the producer over the same socket.
 * - a run (`POST /start`, a {@link StreamStart}): the object runs the generation itself (background
 *   mode, or RESUME_RUNNER=object), so the answer goes on whatever happens to the client's request.
 *   Providers and secrets come from its own `env` (the same bindings as the worker). While no client
 *   is attached it keeps reading: the pending upstream fetch, the generation's timers and the grace
 *   timer keep the object in memory (the run is also passed to `ctx.waitUntil`).
 *
 * When the answer ends, the whole log is written to storage once ({@link persistLog}) and an alarm
 * deletes it after RESUME_TTL_MS, so a reconnect after the object was evicted still replays from
 * storage. The renderer's final state (the Responses API's Response object) is written with it and
 * kept for `stateTtlMs` (RESPONSES_TTL_MS) when that is longer; an object that runs no stream can keep
 * a value (`PUT /keep`) the same way.
 *
 * Its paths (reached only through a stub): `GET /copy?stream_id=…&api=…&ttl_ms=…&state_ttl_ms=…`,
 * `POST /copied?…` (the same query; a stream that ended before its socket opened, whole),
 * `POST /start`, `GET /resume?after=n&ping_ms=…`, `DELETE /cancel`, `GET /snapshot`,
 * `PUT /keep?ttl_ms=…` (a JSON value), `DELETE /forget`.
 */
export class ResumableStream {
  private log: StreamLog | undefined
  private live: LiveStream | undefined
  private copy: ReceivedCopy | undefined
  /** The renderer's final state once a copy ended (null: none). */
  private finalState: unknown = null
  /** Set by `DELETE /forget`: a stream that ends afterwards writes nothing. */
  private forgotten = false
  /** Requests waiting for a stream to arrive. */
  private waiting: (() => void)[] = []
  private readonly ctx: DurableObjectState
  private readonly env: Bindings

  constructor(ctx: DurableObjectState, env: Bindings) {
    this.ctx = ctx
    this.env = env
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url)
    const query = url.searchParams
    const route = `${request.method} ${url.pathname}`
    if (route === 'GET /copy') return this.receive(query)
    if (route === 'POST /copied') return this.receiveWhole(query, new Uint8Array(await request.arrayBuffer()))
    if (route === 'POST /start') return this.start((await request.json()) as StreamStart)
    if (route === 'GET /resume') {
      return this.resume(Number(query.get('after') ?? 0), Number(query.get('ping_ms') ?? 15_000))
    }
    if (route === 'DELETE /cancel') return this.cancel()
    if (route === 'GET /snapshot') return this.snapshot()
    if (route === 'PUT /keep') return this.keep(await request.json(), Number(query.get('ttl_ms')))
    if (route === 'DELETE /forget') return this.forget()
    return new Response(null, { status: 405 })
  }

  /** The events expired (RESUME_TTL_MS after the end), or the state: delete what expired, wake again for the rest. */
  async alarm(): Promise<void> {
    const { storage } = this.ctx
    const now = Date.now()
    const meta = await storage.get<StoredMeta>('meta')
    if (meta && (meta.expiresAt ?? 0) <= now) {
      await storage.delete(logKeys(meta.parts))
      this.drop()
    }
    const stateAt = await stateExpiry(storage)
    if (stateAt !== undefined && stateAt <= now) await deleteState(storage)
    const next = await this.nextExpiry()
    if (next !== undefined) return storage.setAlarm(next)
    this.drop()
    await storage.deleteAll()
  }

  /** The earliest expiry of what is stored. */
  private async nextExpiry(): Promise<number | undefined> {
    const meta = await this.ctx.storage.get<StoredMeta>('meta')
    const times = [meta?.expiresAt, await stateExpiry(this.ctx.storage)].filter((at) => at !== undefined)
    return times.length > 0 ? Math.min(...times) : undefined
  }

  private receive(query: URLSearchParams): Response {
    if (this.log ?? this.live) return new Response(null, { status: 409 })
    const { 0: client, 1: server } = new WebSocketPair()
    const ttlMs = Number(query.get('ttl_ms'))
    const stateTtlMs = Number(query.get('state_ttl_ms') ?? 0)
    const api = (query.get('api') ?? 'seed') as RenderSpec['api']
    const copy = new ReceivedCopy(query.get('stream_id') ?? '', api, server, (log, state) => {
      this.finalState = state
      if (!this.forgotten) this.ctx.waitUntil(this.persist(log, state, { ttlMs, stateTtlMs }))
    })
    this.copy = copy
    this.log = copy.log
    this.arrived()
    return new Response(null, { status: 101, webSocket: client })
  }

  /** A stream that ended before its copy's socket opened, whole. */
  private receiveWhole(query: URLSearchParams, body: Uint8Array): Response {
    if (this.log ?? this.live) return new Response(null, { status: 409 })
    const { events, state } = decodeWhole(body)
    const log = new StreamLog(query.get('stream_id') ?? '', { graceMs: 0 })
    for (const event of events) log.appendEncoded(event)
    log.close()
    this.log = log
    this.finalState = state
    this.arrived()
    const ttlMs = Number(query.get('ttl_ms'))
    const stateTtlMs = Number(query.get('state_ttl_ms') ?? 0)
    this.ctx.waitUntil(this.persist(log, state, { ttlMs, stateTtlMs }))
    return finishedResponse()
  }

  private start(start: StreamStart): Promise<Response> {
    if (this.log ?? this.live) return Promise.resolve(new Response(null, { status: 409 }))
    const providers = providersFor(readConfig(this.env))
    // The starting request's log line is written here, where the answer's figures are known.
    const { mask, logPrompts } = readSecurity(this.env)
    const record = new RequestRecord(
      { requestId: start.record.requestId, method: start.record.method, mask, logPrompts },
      start.record,
    )
    const live = LiveStream.fromStart(start, providers, record, {
      onEnd: (_generation, _outcome, log) => {
        if (!this.forgotten) this.ctx.waitUntil(this.persist(log, live.state(), start))
      },
      settle: (ticket, spent) => this.ctx.waitUntil(settleBudget(this.env, ticket, spent).catch(() => {})),
    })
    this.live = live
    this.log = live.log
    this.arrived()
    this.ctx.waitUntil(live.run())
    return live.firstResponse(start.pingIntervalMs)
  }

  private async resume(after: number, pingIntervalMs: number): Promise<Response> {
    const log = await this.known()
    // A copy may not have the events its producer's client already has: wait for them, briefly.
    if (log && after > log.count && this.copy?.log === log) await this.copy.caughtUp(after, CATCH_UP_MS)
    // An id past the last event was never sent: not this stream's.
    if (!log || after > log.count) return unknownResponse()
    if (log.finished && after === log.count) return finishedResponse()
    return listenerResponse(log, after, { pingIntervalMs })
  }

  private async cancel(): Promise<Response> {
    if (this.live) this.live.cancel()
    else if (!(await this.known())) return unknownResponse()
    else if (this.copy && !this.copy.log.finished) await this.copy.cancel()
    return finishedResponse()
  }

  private async snapshot(): Promise<Response> {
    const stored = this.live || this.copy ? undefined : await getState(this.ctx.storage)
    if (stored !== undefined) return Response.json({ finished: true, state: stored })
    if (!(await this.known())) return unknownResponse()
    const { live, copy } = this
    if (live) return Response.json({ finished: live.log.finished, state: live.state() })
    if (copy && !copy.log.finished) return Response.json({ finished: false, state: await copy.state() })
    return Response.json({ finished: true, state: this.finalState })
  }

  private async keep(value: unknown, ttlMs: number): Promise<Response> {
    if (!(ttlMs > 0)) return new Response(null, { status: 400 })
    await putState(this.ctx.storage, value, Date.now() + ttlMs)
    await this.ctx.storage.setAlarm((await this.nextExpiry())!)
    return finishedResponse()
  }

  private async forget(): Promise<Response> {
    const known = (await getState(this.ctx.storage)) !== undefined || (await this.known()) !== undefined
    this.forgotten = true
    this.live?.cancel()
    if (this.copy && !this.copy.log.finished) void this.copy.cancel()
    this.drop()
    await this.ctx.storage.deleteAlarm()
    await this.ctx.storage.deleteAll()
    return known ? finishedResponse() : unknownResponse()
  }

  private drop(): void {
    this.log = undefined
    this.live = undefined
    this.copy = undefined
  }

  /**
   * The stream's log: held, or restored from storage. A stream the worker runs reaches its object a
   * moment after its client got the id, so an unknown stream is waited for, briefly.
   */
  private async known(): Promise<StreamLog | undefined> {
    if (this.log) return this.log
    const stored = await restoreLog(this.ctx.storage)
    if (stored) return (this.log = stored)
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ARRIVAL_WAIT_MS)
      this.waiting.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
    return this.log
  }

  private arrived(): void {
    for (const wake of this.waiting) wake()
    this.waiting = []
  }

  private async persist(
    log: StreamLog,
    state: unknown,
    ttl: { ttlMs: number; stateTtlMs?: number | undefined },
  ): Promise<void> {
    const expiresAt = await persistLog(this.ctx.storage, log, state, {
      ttlMs: ttl.ttlMs,
      stateTtlMs: ttl.stateTtlMs ?? 0,
    })
    await this.ctx.storage.setAlarm(expiresAt)
  }
}
