import { settleBudget } from '../budgets/gate'
import { holdBudget } from '../budgets/hold'
import type { RequestRecord } from '../observability/request-record'
import type { ProviderRegistry } from '../providers/registry'
import { finishedResponse, unknownResponse, type StreamHost } from './host'
import { listenerResponse } from './listener-body'
import { LiveStream, type StreamStart } from './live-stream'

export interface MemoryStreamsSettings {
  /** Most streams held, running and finished (default 10 000). */
  maxStreams?: number
  /** Most event bytes held (default 64 MiB). */
  maxBytes?: number
  /** Called with each stream this store starts, before its generation runs (e.g. to copy its events elsewhere). */
  onStart?: (live: LiveStream, start: StreamStart, record: RequestRecord) => void
}

interface Entry {
  live: LiveStream
  expiry?: ReturnType<typeof setTimeout>
}

/**
 * Resumable streams in this process (Bun, Node). A finished stream is dropped after its TTL, or
 * earlier when the store is over `maxStreams` or `maxBytes`: oldest finished first. Running streams are
 * never dropped. Several instances share their streams through Redis (`createRedisStreams`, which keeps
 * the streams it runs in one of these).
 *
 * @example
 * const host = createMemoryStreams({ maxBytes: 16 * 1024 * 1024 })
 */
export function createMemoryStreams(settings: MemoryStreamsSettings = {}): StreamHost {
  const maxStreams = settings.maxStreams ?? 10_000
  const maxBytes = settings.maxBytes ?? 64 * 1024 * 1024
  const entries = new Map<string, Entry>()
  /** Finished streams in the order they finished. */
  const finished = new Set<string>()
  let finishedBytes = 0

  const drop = (streamId: string): void => {
    const entry = entries.get(streamId)
    if (!entry) return
    clearTimeout(entry.expiry)
    entries.delete(streamId)
    if (finished.delete(streamId)) finishedBytes -= entry.live.log.bytes
  }

  const runningBytes = (): number => {
    let bytes = 0
    for (const { live } of entries.values()) if (!live.log.finished) bytes += live.log.bytes
    return bytes
  }

  const over = (): boolean => entries.size > maxStreams || finishedBytes + runningBytes() > maxBytes

  const evict = (): void => {
    for (const streamId of finished) {
      if (!over()) return
      drop(streamId)
    }
  }

  return {
    async start(start: StreamStart, providers: ProviderRegistry, record: RequestRecord) {
      const live = new LiveStream(
        { ...start.plan, providers },
        {
          streamId: start.streamId,
          render: start.render,
          graceMs: start.graceMs,
          record,
          onEnd(_generation, _outcome, log) {
            const entry = entries.get(start.streamId)
            if (!entry) return
            finished.add(start.streamId)
            finishedBytes += log.bytes
            entry.expiry = setTimeout(() => drop(start.streamId), start.ttlMs)
            ;(entry.expiry as { unref?: () => void }).unref?.()
            evict()
          },
        },
      )
      const ticket = start.budget
      if (ticket)
        holdBudget(live.generation, ticket, record, (spent) => void settleBudget({}, ticket, spent).catch(() => {}))
      entries.set(start.streamId, { live })
      evict()
      settings.onStart?.(live, start, record)
      void live.run()
      return live.firstResponse(start.pingIntervalMs)
    },

    async resume(streamId, after, pingIntervalMs) {
      const log = entries.get(streamId)?.live.log
      // An id past the last event was never sent: not this stream's.
      if (!log || after > log.count) return unknownResponse()
      if (log.finished && after === log.count) return finishedResponse()
      return listenerResponse(log, after, { pingIntervalMs })
    },

    async cancel(streamId) {
      const entry = entries.get(streamId)
      if (!entry) return unknownResponse()
      entry.live.cancel()
      return finishedResponse()
    },
  }
}
