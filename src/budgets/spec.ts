/**
 * `TOKEN_BUDGET`: how many tokens (input plus output) one caller may spend per window, e.g.
 * `200000/1d`, `50k/12h`, `5000/30m`. Windows are fixed and aligned to multiples of their length
 * since 1970-01-01 UTC: a `1d` window resets at 00:00 UTC, a `1h` window on the hour.
 *
 * @example
 * parseTokenBudget('200000/1d') // { budget: { limit: 200000, windowMs: 86400000 } }
 * parseTokenBudget('off')       // {}
 * parseTokenBudget('lots')      // { error: 'TOKEN_BUDGET: "lots" is not …' }
 * windowOf(Date.UTC(2025, 0, 1, 13), 3_600_000) // { start: …13:00Z, end: …14:00Z }
 */

/** A budget: `limit` tokens per window of `windowMs`. */
export interface BudgetSpec {
  limit: number
  windowMs: number
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const
const SCALE = { '': 1, k: 1_000, m: 1_000_000 } as const
/** The longest window (a year): figures stay small and a window always ends. */
const MAX_WINDOW_MS = 366 * UNIT_MS.d

const FORMAT = /^\s*(\d+)\s*([km]?)\s*\/\s*(\d*)\s*([mhd])\s*$/i

/** Unset, empty or `off` (also `false`, `0`, `no`): no budget; anything unreadable: an error naming it. */
export function parseTokenBudget(value: string | undefined): { budget?: BudgetSpec; error?: string } {
  const text = value?.trim() ?? ''
  if (text === '' || /^(off|false|0|no|none)$/i.test(text)) return {}
  const match = FORMAT.exec(text)
  const limit = match ? Number(match[1]) * SCALE[match[2]!.toLowerCase() as keyof typeof SCALE] : Number.NaN
  const count = match ? (match[3] === '' ? 1 : Number(match[3])) : Number.NaN
  const windowMs = match ? count * UNIT_MS[match[4]!.toLowerCase() as keyof typeof UNIT_MS] : Number.NaN
  if (!Number.isSafeInteger(limit) || limit < 1 || !(windowMs > 0) || windowMs > MAX_WINDOW_MS) {
    return {
      error: `TOKEN_BUDGET: ${JSON.stringify(text.slice(0, 40))} is not <tokens>/<window> with a window in m, h or d of at most 366d (e.g. "200000/1d", "50k/12h", "5000/30m"), or "off"`,
    }
  }
  return { budget: { limit, windowMs } }
}

/** The fixed window that holds `at`: `[start, end)`. */
export function windowOf(at: number, windowMs: number): { start: number; end: number } {
  const start = Math.floor(at / windowMs) * windowMs
  return { start, end: start + windowMs }
}

/** `86400000` → `1d`, `5400000` → `90m`: the window as TOKEN_BUDGET spells it. */
export function describeWindow(windowMs: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    if (windowMs % UNIT_MS[unit] === 0) return `${windowMs / UNIT_MS[unit]}${unit}`
  }
  return `${windowMs}ms`
}
