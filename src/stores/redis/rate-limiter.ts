/**
 * `RATE_LIMIT` counted in Redis, so every instance shares one count per caller. The same window as
 * the in-memory limiter: it opens with the caller's first request and lasts the period; one
 * script increments the count and reads the time left in one round trip, atomically, so
 * concurrent requests on different instances never both take the last slot. `Retry-After` is the
 * window's real remainder. While Redis is unavailable the caller is counted in this process
 * instead (per-instance limits), and never refused or delayed because of Redis.
 *
 * @example
 * const limiter = createRedisRateLimiter(redis, parseRateLimit('20/60s')!)
 * await limiter.limit('ip:10.0.0.7') // { ok: true, retryAfterSeconds: 0 }
 */
import { createMemoryRateLimiter, type RateLimiter, type RateLimitSpec } from '../../access/rate-limit'
import type { RedisConnection } from './connection'
import { luaScript } from './lua-script'

/** KEYS[1]: the caller's counter; ARGV[1]: the period in ms. Returns {count, ms left in the window}. */
const COUNT_IN_WINDOW = luaScript(`
local count = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {count, left}
`)

export function createRedisRateLimiter(
  redis: RedisConnection,
  spec: RateLimitSpec,
  fallback: RateLimiter = createMemoryRateLimiter(spec),
): RateLimiter {
  const periodMs = String(spec.periodSeconds * 1000)
  // The period is part of the key: a changed RATE_LIMIT starts new windows instead of inheriting old ones.
  const keyFor = (caller: string) => redis.key('rate', `${spec.periodSeconds}s`, caller)
  return {
    async limit(caller) {
      let reply: [count: number, leftMs: number]
      try {
        const keys = [keyFor(caller)]
        reply = (await redis.run((client) => COUNT_IN_WINDOW.run(client, keys, [periodMs]))) as typeof reply
      } catch {
        return fallback.limit(caller)
      }
      const [count, leftMs] = reply
      if (count <= spec.limit) return { ok: true, retryAfterSeconds: 0 }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(leftMs / 1000)) }
    },
  }
}
