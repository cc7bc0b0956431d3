import type { Context } from 'hono'
import type { AppEnv } from '../app-env'
import type { BudgetRefusal } from './gate'
import { describeWindow } from './spec'

/**
 * What a client sees of its budget: the `X-Budget-Remaining` and `X-Budget-Reset` headers on every
 * budgeted response, and the 429 when a request does not fit (here in the gateway's `/api` shape;
 * `/v1`: src/openai/budget-errors.ts).
 *
 * @example
 * for (const [name, value] of Object.entries(budgetHeaders(check.ticket))) c.header(name, value)
 * // X-Budget-Remaining: 4733   X-Budget-Reset: 3600
 * return budgetRefusal(c, check.refusal)
 * // 429 Retry-After: 3600  {"error":"budget: this caller has 120 of its 5000 tokens per 1d left …","request_id":"…"}
 */

/** Whole seconds until `resetAt` (epoch ms), at least 1: for `Retry-After` and `X-Budget-Reset`. */
export function secondsUntil(resetAt: number, now = Date.now()): number {
  return Math.max(1, Math.ceil((resetAt - now) / 1000))
}

/**
 * `X-Budget-Remaining`: tokens the caller has left in the window (with a granted request: after its
 * reservation); `X-Budget-Reset`: seconds until the window resets.
 */
export function budgetHeaders(figures: { remaining: number; resetAt: number }, now = Date.now()) {
  return {
    'X-Budget-Remaining': String(figures.remaining),
    'X-Budget-Reset': String(secondsUntil(figures.resetAt, now)),
  }
}

/** The same headers plus `Retry-After`, for a refusal. */
export function budgetRefusalHeaders(refusal: BudgetRefusal, now = Date.now()): Record<string, string> {
  return { ...budgetHeaders(refusal, now), 'Retry-After': String(secondsUntil(refusal.resetAt, now)) }
}

/** What remains, what the request needed and when the budget resets, in one sentence a user can act on. */
export function budgetRefusalMessage(refusal: BudgetRefusal, now = Date.now()): string {
  const window = describeWindow(refusal.windowMs)
  const reset = new Date(refusal.resetAt).toISOString().replace('.000Z', 'Z')
  return (
    `budget: this caller has ${refusal.remaining} of its ${refusal.limit} tokens per ${window} left ` +
    `(in-flight requests hold part of the budget until they end); this request needs at least ${refusal.needed} ` +
    `(its input estimate plus 1 output token). The budget resets at ${reset} (in ${secondsUntil(refusal.resetAt, now)} s).`
  )
}

/** 429 in the gateway's shape, with `Retry-After` and the budget headers. */
export function budgetRefusal(c: Context<AppEnv>, refusal: BudgetRefusal): Response {
  const headers = budgetRefusalHeaders(refusal)
  return c.json({ error: budgetRefusalMessage(refusal), request_id: c.get('record').requestId }, 429, headers)
}

/** The client-facing message when TOKEN_BUDGET cannot be read (the details go to the log line). */
export const MISCONFIGURED_MESSAGE =
  'gateway: the token budget is misconfigured (TOKEN_BUDGET), so no request is served until the operator fixes it.'

/** 503 in the gateway's shape; the record's log line says what is wrong with TOKEN_BUDGET. */
export function budgetMisconfigured(c: Context<AppEnv>, detail: string): Response {
  c.get('record').set({ budget_error: detail })
  return c.json({ error: MISCONFIGURED_MESSAGE, request_id: c.get('record').requestId }, 503)
}
