/**
 * A stream's state (or a kept value) in a Durable Object's storage: JSON text split into parts of at
 * most 1 MiB (a stored value may hold 2 MB), with its expiry. Read back only until it expires; the
 * object's alarm deletes it then.
 *
 * @example
 * await putState(ctx.storage, { response: { id: 'resp_…' } }, Date.now() + 3_600_000)
 * await ctx.storage.put({ ...logEntries, ...stateEntries(state, expiresAt) }) // with other entries, in one write
 * await getState(ctx.storage) // { response: { id: 'resp_…' } }, or undefined once expired
 */

const PART_CHARS = 512 * 1024

interface StateMeta {
  parts: number
  expiresAt: number
}

/** The part of the Durable Object storage API used here. */
export interface StateStorage {
  get<T>(key: string): Promise<T | undefined>
  get<T>(keys: string[]): Promise<Map<string, T>>
  put(entries: Record<string, unknown>): Promise<void>
  delete(keys: string[]): Promise<number>
}

const partKeys = (parts: number) => Array.from({ length: parts }, (_, i) => `state:${i}`)

/** The storage entries of a state, to put together with others in one write. */
export function stateEntries(value: unknown, expiresAt: number): Record<string, unknown> {
  const json = JSON.stringify(value ?? null)
  const parts = Math.max(1, Math.ceil(json.length / PART_CHARS))
  const entries: Record<string, unknown> = { 'state:meta': { parts, expiresAt } satisfies StateMeta }
  partKeys(parts).forEach((key, i) => {
    entries[key] = json.slice(i * PART_CHARS, (i + 1) * PART_CHARS)
  })
  return entries
}

/** Replaces the stored state. */
export async function putState(storage: StateStorage, value: unknown, expiresAt: number): Promise<void> {
  await deleteState(storage)
  await storage.put(stateEntries(value, expiresAt))
}

/** When the stored state expires; undefined when there is none. */
export async function stateExpiry(storage: StateStorage): Promise<number | undefined> {
  return (await storage.get<StateMeta>('state:meta'))?.expiresAt
}

export async function getState(storage: StateStorage, now = Date.now()): Promise<unknown> {
  const meta = await storage.get<StateMeta>('state:meta')
  if (!meta || meta.expiresAt <= now) return undefined
  const keys = partKeys(meta.parts)
  const stored = await storage.get<string>(keys)
  return JSON.parse(keys.map((key) => stored.get(key) ?? '').join('')) as unknown
}

export async function deleteState(storage: StateStorage): Promise<void> {
  const meta = await storage.get<StateMeta>('state:meta')
  if (meta) await storage.delete(['state:meta', ...partKeys(meta.parts)])
}
