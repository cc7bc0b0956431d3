import { readConfig, type Bindings } from '../env'
import { readSecurity } from '../access/settings'
import { settleBudget } from '../budgets/gate'
import { holdBudget } from '../budgets/hold'
import { RequestRecord } from '../observability/request-record'
import { providersFor } from '../providers/registry'
import { finishedResponse, unknownResponse } from './host'
import { listenerResponse } from './listener-body'
import { LiveStream, type StreamStart } from './live-stream'
import { StreamLog } from './stream-log'
import { deleteState, getState, putState, stateEntries, stateExpiry } from './stored-state'

/** Stored values are split into parts of at most this many bytes (a value may hold 2 MB). */
const PART_BYTES = 1024 * 1024

interface StoredMeta {
  streamId: string
  /** End offset of each event in the concatenated parts. */
  ends: number[]
  finishedAt: number
  parts: number
  /** When the events expire (finishedAt + RESUME_TTL_MS); absent in logs stored before it was kept: at the next alarm. */
  expiresAt?: number
}

const logKeys = (parts: number) => ['meta', ...Array.from({ length: parts }, (_, i) => `part:${i}`)]

/**
 * One resumable stream on Workers (SQLite-backed Durable Object, addressed by `idFromName(streamId)`).
 * It owns the upstream request: it runs the {@link LiveStream}, keeps the events in memory and serves
 * every listener, replay then live. Providers and secrets come from its own `env` (the same bindings as
 * the worker); what to ask and the timeouts come from the worker in the start request.
 *
 * While no client is attached it keeps reading: the pending upstream fetch, the generation's timers and
 * the grace timer keep the object in memory (the run is also passed to `ctx.waitUntil`), and the grace
 * (at most 30 s) is far shorter than the 70 s an idle object is kept anyway. When the answer ends, the
 * whole log is written to storage once (one put, no per-event writes) and an alarm deletes it after
 * RESUME_TTL_MS, so a reconnect after the object was evicted still replays from storage. The
 * renderer's final state (the Responses API's Response object) is written with it and kept for
 * `stateTtlMs` (RESPONSES_TTL_MS) when that is longer; an object that runs no stream can keep a value
 * (`PUT /keep`) the same way.
 *
 * Its paths (reached only through a stub): `POST /start` (a {@link StreamStart}),
 * `GET /resume?after=n&ping_ms=…`, `DELETE /cancel`, `GET /snapshot`, `PUT /keep?ttl_ms=…` (a JSON
 * value), `DELETE /forget`.
 */
export class ResumableStream {
  private log: StreamLog | undefined
  private live: LiveStream | undefined
  /** Set by `DELETE /forget`: a stream that ends afterwards writes nothing. */
  private forgotten = false
  private readonly ctx: DurableObjectState
  private readonly env: Bindings

  constructor(ctx: DurableObjectState, env: Bindings) {
    this.ctx = ctx
    this.env = env
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url)
    const route = `${request.method} ${url.pathname}`
    if (route === 'POST /start') return this.start((await request.json()) as StreamStart)
    if (route === 'GET /resume') {
      return this.resume(Number(url.searchParams.get('after') ?? 0), Number(url.searchParams.get('ping_ms') ?? 15_000))
    }
    if (route === 'DELETE /cancel') return this.cancel()
    if (route === 'GET /snapshot') return this.snapshot()
    if (route === 'PUT /keep') return this.keep(await request.json(), Number(url.searchParams.get('ttl_ms')))
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
      this.log = undefined
      this.live = undefined
    }
    const stateAt = await stateExpiry(storage)
    if (stateAt !== undefined && stateAt <= now) await deleteState(storage)
    const next = await this.nextExpiry()
    if (next !== undefined) return storage.setAlarm(next)
    this.log = undefined
    this.live = undefined
    await storage.deleteAll()
  }

  /** The earliest expiry of what is stored. */
  private async nextExpiry(): Promise<number | undefined> {
    const meta = await this.ctx.storage.get<StoredMeta>('meta')
    const times = [meta?.expiresAt, await stateExpiry(this.ctx.storage)].filter((at) => at !== undefined)
    return times.length > 0 ? Math.min(...times) : undefined
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
    const live = new LiveStream(
      { ...start.plan, providers },
      {
        streamId: start.streamId,
        render: start.render,
        graceMs: start.graceMs,
        maxBytes: start.maxStreamBytes,
        record,
        ...(start.background ? { background: true } : {}),
        onEnd: (_generation, _outcome, log) => {
          if (!this.forgotten) this.ctx.waitUntil(this.persist(log, live.state(), start))
        },
      },
    )
    const ticket = start.budget
    if (ticket)
      holdBudget(live.generation, ticket, record, (spent) =>
        this.ctx.waitUntil(settleBudget(this.env, ticket, spent).catch(() => {})),
      )
    this.live = live
    this.log = live.log
    this.ctx.waitUntil(live.run())
    return live.firstResponse(start.pingIntervalMs)
  }

  private async resume(after: number, pingIntervalMs: number): Promise<Response> {
    const log = this.log ?? (this.log = await this.restore())
    // An id past the last event was never sent: not this stream's.
    if (!log || after > log.count) return unknownResponse()
    if (log.finished && after === log.count) return finishedResponse()
    return listenerResponse(log, after, { pingIntervalMs })
  }

  private async cancel(): Promise<Response> {
    if (this.live) this.live.cancel()
    else if (!(this.log ?? (await this.restore()))) return unknownResponse()
    return finishedResponse()
  }

  private async snapshot(): Promise<Response> {
    const { live } = this
    if (live) return Response.json({ finished: live.log.finished, state: live.state() })
    const state = await getState(this.ctx.storage)
    if (state !== undefined) return Response.json({ finished: true, state })
    if (this.log ?? (await this.restore())) return Response.json({ finished: true, state: null })
    return unknownResponse()
  }

  private async keep(value: unknown, ttlMs: number): Promise<Response> {
    if (!(ttlMs > 0)) return new Response(null, { status: 400 })
    await putState(this.ctx.storage, value, Date.now() + ttlMs)
    await this.ctx.storage.setAlarm((await this.nextExpiry())!)
    return finishedResponse()
  }

  private async forget(): Promise<Response> {
    const known =
      this.live !== undefined ||
      (this.log ?? (await this.restore())) !== undefined ||
      (await getState(this.ctx.storage)) !== undefined
    this.forgotten = true
    this.live?.cancel()
    this.live = undefined
    this.log = undefined
    await this.ctx.storage.deleteAlarm()
    await this.ctx.storage.deleteAll()
    return known ? finishedResponse() : unknownResponse()
  }

  private async persist(log: StreamLog, state: unknown, start: StreamStart): Promise<void> {
    const { ttlMs } = start
    const { bytes, ends } = log.packed!
    const parts = Math.ceil(bytes.byteLength / PART_BYTES)
    const entries: Record<string, unknown> = {}
    for (let i = 0; i < parts; i++) entries[`part:${i}`] = bytes.slice(i * PART_BYTES, (i + 1) * PART_BYTES)
    const expiresAt = log.finishedAt + ttlMs
    entries.meta = {
      streamId: log.streamId,
      ends: Array.from(ends),
      finishedAt: log.finishedAt,
      parts,
      expiresAt,
    } satisfies StoredMeta
    const stateAt = log.finishedAt + Math.max(ttlMs, start.stateTtlMs ?? 0)
    await this.ctx.storage.put(state === null ? entries : { ...entries, ...stateEntries(state, stateAt) })
    await this.ctx.storage.setAlarm(expiresAt)
  }

  private async restore(): Promise<StreamLog | undefined> {
    const meta = await this.ctx.storage.get<StoredMeta>('meta')
    if (!meta || (meta.expiresAt !== undefined && meta.expiresAt <= Date.now())) return undefined
    const keys = Array.from({ length: meta.parts }, (_, i) => `part:${i}`)
    const stored = keys.length > 0 ? await this.ctx.storage.get<Uint8Array>(keys) : new Map<string, Uint8Array>()
    const all = new Uint8Array(meta.ends.at(-1) ?? 0)
    let offset = 0
    for (const key of keys) {
      const part = stored.get(key) ?? new Uint8Array()
      all.set(part, offset)
      offset += part.byteLength
    }
    return StreamLog.restored(meta.streamId, { bytes: all, ends: Uint32Array.from(meta.ends) }, meta.finishedAt)
  }
}
