import type { Context } from 'hono'
import { callerKey } from '../access/caller'
import type { AppEnv } from '../app-env'
import type { Bindings } from '../env'
import type { BudgetLedger, BudgetUsage, Refusal, Settlement } from './ledger'
import { budgetLedgerFor } from './ledger-for'
import type { BudgetSpec } from './spec'
import type { BudgetTicket } from './ticket'

/**
 * The token budget of one request: whose it is, reserving before the upstream request, settling
 * after it. What the chat routes and the generation call; the ledger behind it is picked by
 * {@link budgetLedgerFor}.
 *
 * @example
 * const check = await reserveBudget(c, { input: estimateChatInput(request), wantedOutput: request.maxTokens })
 * if (check.kind === 'refused') return budgetRefusal(c, check.refusal)
 * if (check.kind === 'misconfigured') return budgetMisconfigured(c, check.message)
 * // send check.ticket.output upstream as the output limit; when the answer ends:
 * await settleBudget(env, check.ticket, tokensFromUsage(usage) ?? upperSpent(check.ticket, evidence))
 */

/** Added to MAX_DURATION_MS before an unsettled reservation is charged in full: time to settle (at most). */
export const EXPIRY_MARGIN_MS = 60_000

/**
 * How long a reservation stays open unsettled: MAX_DURATION_MS (no answer runs longer), plus time to
 * settle: a minute, or MAX_DURATION_MS itself when that is shorter. Expiring early cannot let a caller
 * overspend (the full charge covers anything the answer may still spend); it only charges too much.
 */
export function reservationLifetime(maxDurationMs: number): number {
  return maxDurationMs + Math.min(EXPIRY_MARGIN_MS, maxDurationMs)
}

export interface BudgetRefusal extends Omit<Refusal, 'ok'> {
  caller: string
  windowMs: number
}

export type CallerBudget =
  | { kind: 'off' }
  | { kind: 'misconfigured'; message: string }
  | { kind: 'on'; caller: string; spec: BudgetSpec }

export type BudgetCheck =
  | { kind: 'off' }
  | { kind: 'misconfigured'; message: string }
  | { kind: 'granted'; ticket: BudgetTicket }
  | { kind: 'refused'; refusal: BudgetRefusal }

/** The request's caller and budget: TOKEN_BUDGET, with a signed token's `budget` claim as the limit for its `sub`. */
export function callerBudget(c: Context<AppEnv>): CallerBudget {
  const { tokenBudget, tokenBudgetError } = c.get('config')
  if (tokenBudgetError) return { kind: 'misconfigured', message: tokenBudgetError }
  if (!tokenBudget) return { kind: 'off' }
  const limit = c.get('callerBudget') ?? tokenBudget.limit
  return { kind: 'on', caller: callerKey(c), spec: { limit, windowMs: tokenBudget.windowMs } }
}

/**
 * Reserves `input` (the estimate) plus an output ceiling of at most `wantedOutput` (absent: all
 * that remains) before the upstream request. One atomic step on the caller's account.
 */
export async function reserveBudget(
  c: Context<AppEnv>,
  request: { input: number; wantedOutput?: number },
): Promise<BudgetCheck> {
  const budget = callerBudget(c)
  if (budget.kind !== 'on') return budget
  const { caller, spec } = budget
  const reservation = await budgetLedgerFor(c.env ?? {}, c.get('budgetLedger')).reserve(caller, {
    ...spec,
    input: request.input,
    ...(request.wantedOutput !== undefined ? { wantedOutput: request.wantedOutput } : {}),
    expiresInMs: reservationLifetime(c.get('config').maxDurationMs),
  })
  if (!reservation.ok) {
    const { ok: _, ...figures } = reservation
    return { kind: 'refused', refusal: { ...figures, caller, windowMs: spec.windowMs } }
  }
  const { ok: _, ...ticket } = reservation
  return { kind: 'granted', ticket: { ...ticket, caller } }
}

/**
 * Settles a ticket to what was spent (input + output tokens). `env`: the bindings of wherever the
 * answer ended (the worker's, or the stream's Durable Object's: both reach the same ledger);
 * `processLedger`: the one the request reserved from on Bun and Node (AppOptions.budgetLedger).
 * Settling twice, or after the expiry, charges nothing more.
 */
export function settleBudget(
  env: Bindings,
  ticket: BudgetTicket,
  spent: number,
  processLedger?: BudgetLedger,
): Promise<Settlement> {
  return budgetLedgerFor(env, processLedger).settle(ticket.caller, ticket.id, spent)
}

/** The caller's figures now (for `GET /api/usage`). */
export async function readBudgetUsage(
  c: Context<AppEnv>,
): Promise<
  Exclude<CallerBudget, { kind: 'on' }> | { kind: 'on'; caller: string; spec: BudgetSpec; usage: BudgetUsage }
> {
  const budget = callerBudget(c)
  if (budget.kind !== 'on') return budget
  return {
    ...budget,
    usage: await budgetLedgerFor(c.env ?? {}, c.get('budgetLedger')).usage(budget.caller, budget.spec),
  }
}
