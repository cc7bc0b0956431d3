import type { BudgetSpec } from './spec'

/**
 * Where each caller's spending is counted. Every operation is one atomic step on one caller's
 * account (one Durable Object call on Workers, one Lua script in Redis, one synchronous step in
 * memory), so fifty concurrent reservations cannot together pass the limit.
 *
 * The account holds, for the current fixed window: `used` (settled and expired reservations) and the
 * open reservations. A reservation is input estimate + granted output ceiling, where the ceiling is
 * `min(wantedOutput, limit - used - reserved - input)`; it is refused when that is below 1. It
 * settles into the window it was made in (in a later window it no longer counts anywhere), to what
 * was spent, even when that is more than was reserved. One never settled is charged in full at
 * `expiresAt` (made + `expiresInMs`): lazily by every operation, and by an alarm on Workers.
 *
 * @example
 * const ledger = createMemoryLedger()
 * const grant = await ledger.reserve('sub:alice', { limit: 5000, windowMs: 86_400_000, input: 120, wantedOutput: 200, expiresInMs: 360_000 })
 * if (grant.ok) await ledger.settle('sub:alice', grant.id, 290)
 * await ledger.usage('sub:alice', { limit: 5000, windowMs: 86_400_000 }) // { limit: 5000, used: 290, reserved: 0, … }
 */

export interface ReserveRequest extends BudgetSpec {
  /** The input estimate (tokens). */
  input: number
  /** The largest output the request may want (its max_tokens or MAX_OUTPUT_TOKENS); absent: all that remains. */
  wantedOutput?: number
  /** How long until an unsettled reservation is charged in full (MAX_DURATION_MS plus a margin). */
  expiresInMs: number
}

/** A granted reservation: `input + output` tokens are held until it settles or expires. */
export interface Grant {
  ok: true
  id: string
  input: number
  /** The output ceiling granted: send it upstream as the request's output limit. */
  output: number
  limit: number
  /** What remains for other requests once this one is held. */
  remaining: number
  /** When the window ends (epoch ms). */
  resetAt: number
}

/** A refused reservation: nothing is held. */
export interface Refusal {
  ok: false
  limit: number
  /** What remains now (limit - used - reserved, at least 0). */
  remaining: number
  /** The least the request needed: its input estimate plus one output token. */
  needed: number
  resetAt: number
}

export type Reservation = Grant | Refusal

export interface Settlement {
  /** False when the reservation was unknown, already settled or already charged at its expiry. */
  settled: boolean
  /** What was charged now. */
  charged: number
}

/** A caller's figures in the current window; `remaining` is `limit - used - reserved`, at least 0. */
export interface BudgetUsage {
  limit: number
  used: number
  reserved: number
  remaining: number
  /** When the window ends (epoch ms). */
  resetAt: number
}

export interface BudgetLedger {
  reserve(caller: string, request: ReserveRequest): Promise<Reservation>
  /** `spent`: input + output tokens the request really used (or an upper estimate of them). */
  settle(caller: string, id: string, spent: number): Promise<Settlement>
  usage(caller: string, spec: BudgetSpec): Promise<BudgetUsage>
}
