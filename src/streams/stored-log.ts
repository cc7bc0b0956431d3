import { StreamLog } from './stream-log'
import { stateEntries, type StateStorage } from './stored-state'

/**
 * A finished stream's events in a Durable Object's storage, written once at the end (one put, no
 * per-event writes): the packed bytes in parts of at most 1 MiB (a stored value may hold 2 MB) and
 * a meta entry with each event's end offset and the expiry. The renderer's final state goes in the
 * same write ({@link stateEntries}), kept as long as `stateTtlMs` when that is longer.
 *
 * @example
 * await storage.setAlarm(await persistLog(storage, log, state, { ttlMs: 300_000 }))
 * const log = await restoreLog(storage) // after the object was evicted; undefined once expired
 */

const PART_BYTES = 1024 * 1024

export interface StoredMeta {
  streamId: string
  /** End offset of each event in the concatenated parts. */
  ends: number[]
  finishedAt: number
  parts: number
  /** When the events expire (finishedAt + RESUME_TTL_MS); absent in logs stored before it was kept: at the next alarm. */
  expiresAt?: number
}

export const logKeys = (parts: number): string[] => ['meta', ...Array.from({ length: parts }, (_, i) => `part:${i}`)]

/** Writes a finished log (and the renderer's state unless null); returns when its events expire. */
export async function persistLog(
  storage: StateStorage,
  log: StreamLog,
  state: unknown,
  { ttlMs, stateTtlMs = 0 }: { ttlMs: number; stateTtlMs?: number },
): Promise<number> {
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
  const stateAt = log.finishedAt + Math.max(ttlMs, stateTtlMs)
  await storage.put(state === null ? entries : { ...entries, ...stateEntries(state, stateAt) })
  return expiresAt
}

/** The stored log, until it expires. */
export async function restoreLog(storage: StateStorage): Promise<StreamLog | undefined> {
  const meta = await storage.get<StoredMeta>('meta')
  if (!meta || (meta.expiresAt !== undefined && meta.expiresAt <= Date.now())) return undefined
  const keys = logKeys(meta.parts).slice(1)
  const stored = keys.length > 0 ? await storage.get<Uint8Array>(keys) : new Map<string, Uint8Array>()
  const all = new Uint8Array(meta.ends.at(-1) ?? 0)
  let offset = 0
  for (const key of keys) {
    const part = stored.get(key) ?? new Uint8Array()
    all.set(part, offset)
    offset += part.byteLength
  }
  return StreamLog.restored(meta.streamId, { bytes: all, ends: Uint32Array.from(meta.ends) }, meta.finishedAt)
}
