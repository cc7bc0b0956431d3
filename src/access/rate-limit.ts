/**
 * Rate limiting per caller. On Workers the Workers Rate Limiting binding (`RATE_LIMITER`,
 * declared in the wrangler config with a period of 10 or 60 s); on Bun and Node an in-memory
 * limiter with the same semantics, from `RATE_LIMIT` (`<requests>/<seconds>s`, e.g. `30/60s`):
 * at most that many requests per key in each period, counted from the key's first request.
 *
 * @example
 * const limiter = createMemoryRateLimiter(parseRateLimit('30/60s')!)
 * const { ok, retryAfterSeconds } = await limiter.limit('token:0')
 */

export interface RateLimitVerdict {
  ok: boolean
  /** Seconds until the caller may try again (for `Retry-After`); 0 when `ok`. */
  retryAfterSeconds: number
}

export interface RateLimiter {
  limit(key: string): Promise<RateLimitVerdict>
}

export interface RateLimitSpec {
  limit: number
  periodSeconds: number
}

/** Builds the limiter for `RATE_LIMIT`: {@link createMemoryRateLimiter} by default, Redis with REDIS_URL. */
export type RateLimiterFactory = (spec: RateLimitSpec) => RateLimiter

/** The Workers Rate Limiting binding's interface. */
export interface RateLimitBinding {
  limit(options: { key: string }): Promise<{ success: boolean }>
}

/** `30/60s`, `30/60`, `100/1m`, `5/10s` → `{ limit, periodSeconds }`; anything else `undefined`. */
export function parseRateLimit(value: string | undefined): RateLimitSpec | undefined {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*(s|sec|m|min)?\s*$/i.exec(value ?? '')
  if (!match) return undefined
  const limit = Number(match[1])
  const periodSeconds = Number(match[2]) * (/^m/i.test(match[3] ?? '') ? 60 : 1)
  if (!(limit > 0) || !(periodSeconds > 0) || periodSeconds > 86_400) return undefined
  return { limit, periodSeconds }
}

/** Above this many keys, expired windows are swept before a new one is added. */
const SWEEP_AT = 10_000

export function createMemoryRateLimiter(spec: RateLimitSpec, now: () => number = Date.now): RateLimiter {
  const periodMs = spec.periodSeconds * 1000
  const windows = new Map<string, { startedAt: number; count: number }>()
  return {
    async limit(key) {
      const at = now()
      let window = windows.get(key)
      if (!window || at - window.startedAt >= periodMs) {
        if (!window && windows.size >= SWEEP_AT) {
          for (const [k, w] of windows) if (at - w.startedAt >= periodMs) windows.delete(k)
        }
        window = { startedAt: at, count: 0 }
        windows.set(key, window)
      }
      window.count++
      if (window.count <= spec.limit) return { ok: true, retryAfterSeconds: 0 }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((window.startedAt + periodMs - at) / 1000)) }
    },
  }
}

/**
 * The Workers binding as a {@link RateLimiter}. The binding does not say when its window ends,
 * so `Retry-After` is its period: `periodSeconds` (from `RATE_LIMIT` when set), else 60.
 */
export function bindingRateLimiter(binding: RateLimitBinding, periodSeconds = 60): RateLimiter {
  return {
    async limit(key) {
      const { success } = await binding.limit({ key })
      return { ok: success, retryAfterSeconds: success ? 0 : periodSeconds }
    },
  }
}

export function isRateLimitBinding(value: unknown): value is RateLimitBinding {
  return typeof value === 'object' && value !== null && typeof (value as RateLimitBinding).limit === 'function'
}
