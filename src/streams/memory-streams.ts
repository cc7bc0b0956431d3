import { settleBudget } from '../budgets/gate'
import type { BudgetLedger } from '../budgets/ledger'
import type { RequestRecord } from '../observability/request-record'
import type { ProviderRegistry } from '../providers/registry'
import { StoreFullError, finishedResponse, unknownResponse, type StreamHost } from './host'
import { listenerResponse } from './listener-body'
import { LiveStream, type StreamStart } from './live-stream'
import { MemoryRecords } from './memory-records'
import type { StreamLog } from './stream-log'

export interface MemoryStreamsSettings {
  /** Most streams held, running and finished (default 10 000). */
  maxStreams?: number
  /** Most bytes held: every stream's events plus {@link ENTRY_BYTES} per stream, running ones included (default 64 MiB). */
  maxBytes?: number
  /** Most bytes of kept states (`snapshot`, `keep`; default 32 MiB). */
  maxStateBytes?: number
  /** Where token budgets settle (the app's ledger: Redis with REDIS_URL); this process's memory by default. */
  budgetLedger?: BudgetLedger
  /** Called with each stream this store starts, before its generation runs (e.g. to copy its events elsewhere). */
  onStart?: (live: LiveStream, start: StreamStart, record: RequestRecord) => void
}

/**
 * What one finished stream costs besides its events (its entry, log object, offsets, timer), counted
 * against `maxBytes`: about 1.5 KB measured on Bun for answers of 100 events, rounded up.
 */
export const ENTRY_BYTES = 2048

interface Entry {
  log: StreamLog
  /** Until the stream finishes; then only the packed log stays. */
  live?: LiveStream
  expiry?: ReturnType<typeof setTimeout>
}

/**
 * Resumable streams in this process (Bun, Node). A finished stream is dropped after its TTL, or
 * earlier when the store is over `maxStreams` or `maxBytes`: oldest finished first. Running streams are
 * never dropped but count against both bounds; when they alone fill the store, a new stream is refused
 * ({@link StoreFullError}: the route answers 503) rather than let the store grow. The bookkeeping is a running
 * total, O(1) per event, start and end. Several instances share their streams through Redis
 * (`createRedisStreams`, which keeps the streams it runs in one of these).
 *
 * @example
 * const host = createMemoryStreams({ maxBytes: 16 * 1024 * 1024 })
 */
export function createMemoryStreams(settings: MemoryStreamsSettings = {}): StreamHost {
  const maxStreams = settings.maxStreams ?? 10_000
  const maxBytes = settings.maxBytes ?? 64 * 1024 * 1024
  const entries = new Map<string, Entry>()
  /** Finished streams in the order they finished: the first to go. */
  const finished = new Set<string>()
  /** Every log's bytes plus ENTRY_BYTES per entry. */
  let held = 0
  /** Final states and kept values, for longer than a stream's events when asked (RESPONSES_TTL_MS). */
  const records = new MemoryRecords({ maxBytes: settings.maxStateBytes })

  const drop = (streamId: string): void => {
    const entry = entries.get(streamId)
    if (!entry) return
    clearTimeout(entry.expiry)
    entries.delete(streamId)
    finished.delete(streamId)
    held -= entry.log.bytes + ENTRY_BYTES
  }

  const fits = (streams: number, bytes: number): boolean =>
    entries.size + streams <= maxStreams && held + bytes <= maxBytes

  /** Drops finished streams, oldest first, until `streams` more entries and `bytes` more bytes fit. */
  const makeRoom = (streams: number, bytes: number): boolean => {
    if (fits(streams, bytes)) return true
    for (const streamId of finished) {
      drop(streamId)
      if (fits(streams, bytes)) return true
    }
    return false
  }

  /** Keeps only the packed log, until `ttlMs` from now. Out here so that the timer holds nothing of the start. */
  const finish = (streamId: string, ttlMs: number): void => {
    const entry = entries.get(streamId)
    if (!entry) return
    entry.live = undefined
    finished.add(streamId)
    entry.expiry = setTimeout(() => drop(streamId), ttlMs)
    ;(entry.expiry as { unref?: () => void }).unref?.()
  }

  return {
    async start(start: StreamStart, providers: ProviderRegistry, record: RequestRecord) {
      if (!makeRoom(1, ENTRY_BYTES)) throw new StoreFullError()
      const { streamId, ttlMs } = start
      // The callbacks below live as long as the stream: they hold these numbers, not the whole start.
      const stateTtlMs = Math.max(ttlMs, start.stateTtlMs ?? 0)
      const live = LiveStream.fromStart(start, providers, record, {
        onGrow(bytes) {
          held += bytes
          makeRoom(0, 0)
        },
        onEnd: () => {
          const state = live.state()
          if (state !== null) records.set(streamId, state, stateTtlMs)
          finish(streamId, ttlMs)
        },
        settle: (ticket, spent) => void settleBudget({}, ticket, spent, settings.budgetLedger).catch(() => {}),
      })
      entries.set(streamId, { log: live.log, live })
      held += ENTRY_BYTES
      settings.onStart?.(live, start, record)
      void live.run()
      return live.firstResponse(start.pingIntervalMs)
    },

    async resume(streamId, after, pingIntervalMs) {
      const log = entries.get(streamId)?.log
      // An id past the last event was never sent: not this stream's.
      if (!log || after > log.count) return unknownResponse()
      if (log.finished && after === log.count) return finishedResponse()
      return listenerResponse(log, after, { pingIntervalMs })
    },

    async cancel(streamId) {
      const entry = entries.get(streamId)
      if (!entry) return unknownResponse()
      entry.live?.cancel()
      return finishedResponse()
    },

    async snapshot(streamId) {
      const entry = entries.get(streamId)
      if (entry?.live) return { finished: entry.log.finished, state: entry.live.state() }
      const state = records.get(streamId)
      return state === undefined ? undefined : { finished: true, state }
    },

    async keep(streamId, value, ttlMs) {
      records.set(streamId, value, ttlMs)
    },

    async forget(streamId) {
      const entry = entries.get(streamId)
      entry?.live?.cancel()
      drop(streamId)
      return records.delete(streamId) || entry !== undefined
    },
  }
}
