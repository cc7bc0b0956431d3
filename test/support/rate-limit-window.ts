/**
 * Runs a request flood inside one window of the gateway's rate limiter. On wrangler dev the limiter
 * is the local Workers Rate Limiting binding, whose windows are aligned to the wall clock (window n is
 * [n × 60 s, (n + 1) × 60 s)) and whose counts all restart at a boundary: a flood that straddles one
 * is let through again and never sees its 429. So on Workers, when less than `floodMs` of the current
 * window is left, this waits for the next one to begin, and fails plainly if the flood still crossed
 * a boundary. Bun and Node count from a caller's first request: no wait.
 *
 * @example
 * const limited = await inOneRateLimitWindow(gw.runtime, () => floodUntil429())
 */
import { expect } from 'vitest'
import type { Runtime } from './gateway.ts'

/** The period of the RATE_LIMITER binding in wrangler.jsonc (120 per 60 s). */
const PERIOD_MS = 60_000
/** Far more than a flood of a few hundred local requests takes, even on a loaded machine (a few seconds). */
const FLOOD_MS = 15_000
/** A test that floods needs this much more time: the wait for a fresh window, at most. */
export const RATE_LIMIT_WAIT_MS = FLOOD_MS

export async function inOneRateLimitWindow<T>(runtime: Runtime, flood: () => Promise<T>): Promise<T> {
  if (runtime !== 'workers') return flood()
  const left = () => PERIOD_MS - (Date.now() % PERIOD_MS)
  while (left() < FLOOD_MS) await new Promise((resolve) => setTimeout(resolve, left() + 50))
  const window = Math.floor(Date.now() / PERIOD_MS)
  try {
    return await flood()
  } finally {
    expect(
      Math.floor(Date.now() / PERIOD_MS),
      `the flood took over ${FLOOD_MS} ms and crossed a rate-limit window`,
    ).toBe(window)
  }
}
