import type { BudgetUsage, ReserveRequest, Reservation, Settlement } from './ledger'
import { type BudgetSpec, windowOf } from './spec'

/**
 * One caller's account as plain data, and the steps on it that every ledger shares. Each step is
 * synchronous and mutates the account in place: run inside a Durable Object (then stored) or on a
 * map in memory, it is atomic. A Redis ledger does the same steps in a Lua script.
 *
 * @example
 * const account = newAccount()
 * const grant = reserveIn(account, { limit: 500, windowMs: 60_000, input: 40, wantedOutput: 200, expiresInMs: 1000 }, Date.now(), 'r1')
 * settleIn(account, 'r1', 180, Date.now()) // { settled: true, charged: 180 }
 */

export interface OpenReservation {
  amount: number
  /** The start of the window it was made in. */
  window: number
  expiresAt: number
}

export interface Account {
  /** The window `used` belongs to: its start (epoch ms) and length. */
  windowStart: number
  windowMs: number
  used: number
  open: Record<string, OpenReservation>
}

export const newAccount = (): Account => ({ windowStart: 0, windowMs: 0, used: 0, open: {} })

const whole = (value: unknown, fallback: number): number =>
  typeof value === 'number' && Number.isFinite(value) ? Math.max(0, Math.ceil(value)) : fallback

/** Moves the account to the window that holds `now` (a new window starts with nothing used). */
function roll(account: Account, windowMs: number, now: number): void {
  const { start } = windowOf(now, windowMs)
  if (account.windowStart === start && account.windowMs === windowMs) return
  account.windowStart = start
  account.windowMs = windowMs
  account.used = 0
}

/** Charges every reservation past its expiry in full (into its own window, if that is the account's). */
export function expireIn(account: Account, now: number): number {
  let expired = 0
  for (const [id, reservation] of Object.entries(account.open)) {
    if (reservation.expiresAt > now) continue
    if (reservation.window === account.windowStart) account.used += reservation.amount
    delete account.open[id]
    expired++
  }
  return expired
}

function reservedIn(account: Account): number {
  let reserved = 0
  for (const reservation of Object.values(account.open)) {
    if (reservation.window === account.windowStart) reserved += reservation.amount
  }
  return reserved
}

function figures(account: Account, limit: number): BudgetUsage {
  const reserved = reservedIn(account)
  return {
    limit,
    used: account.used,
    reserved,
    remaining: Math.max(0, limit - account.used - reserved),
    resetAt: account.windowStart + account.windowMs,
  }
}

export function usageIn(account: Account, spec: BudgetSpec, now: number): BudgetUsage {
  roll(account, spec.windowMs, now)
  expireIn(account, now)
  return figures(account, whole(spec.limit, 0))
}

export function reserveIn(account: Account, request: ReserveRequest, now: number, id: string): Reservation {
  const before = usageIn(account, request, now)
  const input = whole(request.input, 0)
  const room = before.limit - before.used - before.reserved - input
  const wanted = whole(request.wantedOutput, Number.POSITIVE_INFINITY)
  const output = Math.min(wanted, room)
  if (!(output >= 1)) {
    return { ok: false, limit: before.limit, remaining: before.remaining, needed: input + 1, resetAt: before.resetAt }
  }
  const expiresAt = now + whole(request.expiresInMs, 0)
  account.open[id] = { amount: input + output, window: account.windowStart, expiresAt }
  const after = figures(account, before.limit)
  return { ok: true, id, input, output, limit: after.limit, remaining: after.remaining, resetAt: after.resetAt }
}

/** Settles to `spent` (more than reserved is charged too); an unknown or expired id charges nothing. */
export function settleIn(account: Account, id: string, spent: number, now: number): Settlement {
  const reservation = account.open[id]
  let charged = 0
  if (reservation) {
    delete account.open[id]
    // A reservation of an earlier window settles into that window, which no longer counts.
    if (reservation.window === account.windowStart) charged = whole(spent, reservation.amount)
    account.used += charged
  }
  expireIn(account, now)
  return { settled: reservation !== undefined, charged }
}

/** When the account next needs an alarm: its first expiry, else the end of a window with figures in it. */
export function nextDeadline(account: Account): number | undefined {
  let first: number | undefined
  for (const { expiresAt } of Object.values(account.open)) first = Math.min(first ?? expiresAt, expiresAt)
  if (first !== undefined) return first
  return account.used > 0 ? account.windowStart + account.windowMs : undefined
}

/** Nothing open and the window over: the account holds nothing worth keeping. */
export function isIdle(account: Account, now: number): boolean {
  return Object.keys(account.open).length === 0 && now >= account.windowStart + account.windowMs
}
