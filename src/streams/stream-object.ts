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

/** Stored values are split into parts of at most this many bytes (a value may hold 2 MB). */
const PART_BYTES = 1024 * 1024

interface StoredMeta {
  streamId: string
  /** End offset of each event in the concatenated parts. */
  ends: number[]
  finishedAt: number
  parts: number
}

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
 * RESUME_TTL_MS, so a reconnect after the object was evicted still replays from storage.
 *
 * Its paths (reached only through a stub): `POST /start` (a {@link StreamStart}),
 * `GET /resume?after=n&ping_ms=…`, `DELETE /cancel`.
 */
export class ResumableStream {
  private log: StreamLog | undefined
  private live: LiveStream | undefined
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
    return new Response(null, { status: 405 })
  }

  /** RESUME_TTL_MS after the answer ended: forget it. */
  async alarm(): Promise<void> {
    this.log = undefined
    this.live = undefined
    await this.ctx.storage.deleteAll()
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
        onEnd: (_generation, _outcome, log) => {
          this.ctx.waitUntil(this.persist(log, start.ttlMs))
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

  private async persist(log: StreamLog, ttlMs: number): Promise<void> {
    const { bytes, ends } = log.packed!
    const parts = Math.ceil(bytes.byteLength / PART_BYTES)
    const entries: Record<string, unknown> = {}
    for (let i = 0; i < parts; i++) entries[`part:${i}`] = bytes.slice(i * PART_BYTES, (i + 1) * PART_BYTES)
    entries.meta = {
      streamId: log.streamId,
      ends: Array.from(ends),
      finishedAt: log.finishedAt,
      parts,
    } satisfies StoredMeta
    await this.ctx.storage.put(entries)
    await this.ctx.storage.setAlarm(log.finishedAt + ttlMs)
  }

  private async restore(): Promise<StreamLog | undefined> {
    const meta = await this.ctx.storage.get<StoredMeta>('meta')
    if (!meta) return undefined
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
