/**
 * Where the gateway's shared state lives (resumable streams, rate-limit counts) and whether it
 * answers: what `/health` reports and what every log line checks. Runtime-neutral: the Redis
 * connection implements it on Bun and Node; the Workers bundle only sees the two constants.
 *
 * @example
 * const store: StoreStatus = redis ?? (env.RESUMABLE_STREAMS ? DURABLE_OBJECT_STORE : MEMORY_STORE)
 * if (!store.ok) record.set({ store: 'unavailable' })
 */
export type StoreKind = 'memory' | 'redis' | 'durable_object'

export interface StoreStatus {
  readonly kind: StoreKind
  /** False while the store cannot be reached; the gateway then keeps its state in this process. */
  readonly ok: boolean
}

/** This process's memory (Bun and Node without REDIS_URL, or Workers without RESUMABLE_STREAMS). */
export const MEMORY_STORE: StoreStatus = { kind: 'memory', ok: true }

/** A Durable Object per stream (Workers with the RESUMABLE_STREAMS binding). */
export const DURABLE_OBJECT_STORE: StoreStatus = { kind: 'durable_object', ok: true }
