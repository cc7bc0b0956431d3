import type { Context } from 'hono'

/**
 * `ctx.waitUntil` where the runtime has one (Workers), so work outlives the response; on Bun and
 * Node the process stays up and the promise simply runs on. A rejection is never left unhandled.
 *
 * @example
 * waitUntil(c, settleBudget(env, ticket, spent))
 */
export function waitUntil(c: Context, work: Promise<unknown>): void {
  const quiet = work.catch(() => {})
  try {
    c.executionCtx.waitUntil(quiet)
  } catch {
    // No execution context (Bun, Node, or a test calling the app directly).
  }
}
