/**
 * JSON values kept in this process for a while (Bun, Node): the final state of a stream and values
 * kept with `StreamHost.keep`. Bounded: past `maxRecords` or `maxBytes` the oldest go first, and an
 * expired value is never returned. Values are held as JSON text, so what is kept is a copy and its
 * size is known.
 *
 * @example
 * const records = new MemoryRecords({ maxBytes: 1024 * 1024 })
 * records.set('x3Q0bC9vZ-1kR2_wT8yNa4Lm', { response: { id: 'resp_…' } }, 3_600_000)
 * records.get('x3Q0bC9vZ-1kR2_wT8yNa4Lm') // { response: { id: 'resp_…' } }
 */

export interface MemoryRecordsSettings {
  /** Most values held (default 10 000). */
  maxRecords?: number
  /** Most bytes of JSON text held (default 32 MiB). */
  maxBytes?: number
  /** The clock, in milliseconds; tests fix it. */
  now?: () => number
}

interface Entry {
  json: string
  expiresAt: number
}

export class MemoryRecords {
  private readonly entries = new Map<string, Entry>()
  private bytes = 0
  private readonly maxRecords: number
  private readonly maxBytes: number
  private readonly now: () => number

  constructor(settings: MemoryRecordsSettings = {}) {
    this.maxRecords = settings.maxRecords ?? 10_000
    this.maxBytes = settings.maxBytes ?? 32 * 1024 * 1024
    this.now = settings.now ?? Date.now
  }

  get size(): number {
    return this.entries.size
  }

  set(key: string, value: unknown, ttlMs: number): void {
    this.delete(key)
    const json = JSON.stringify(value ?? null)
    // A value larger than the whole store is not kept: it would evict everything else.
    if (json.length * 2 > this.maxBytes) return
    this.entries.set(key, { json, expiresAt: this.now() + ttlMs })
    this.bytes += json.length * 2
    this.evict()
  }

  get(key: string): unknown {
    const entry = this.entries.get(key)
    if (!entry) return undefined
    if (entry.expiresAt <= this.now()) {
      this.delete(key)
      return undefined
    }
    return JSON.parse(entry.json) as unknown
  }

  delete(key: string): boolean {
    const entry = this.entries.get(key)
    if (!entry) return false
    this.entries.delete(key)
    this.bytes -= entry.json.length * 2
    return true
  }

  /** Drops the expired values at the head (most share one TTL, so the oldest expire first), then the oldest while over a bound. */
  private evict(): void {
    const now = this.now()
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now) break
      this.delete(key)
    }
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.maxRecords && this.bytes <= this.maxBytes) return
      this.delete(key)
    }
  }
}
