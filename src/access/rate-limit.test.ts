import { describe, expect, it } from 'vitest'
import { createMemoryRateLimiter, parseRateLimit } from './rate-limit'

describe('RATE_LIMIT', () => {
  it('parses requests per period', () => {
    expect(parseRateLimit('30/60s')).toEqual({ limit: 30, periodSeconds: 60 })
    expect(parseRateLimit(' 5 / 10 ')).toEqual({ limit: 5, periodSeconds: 10 })
    expect(parseRateLimit('100/1m')).toEqual({ limit: 100, periodSeconds: 60 })
    for (const bad of [undefined, '', 'off', '0/60s', '30/0s', '30', '30/60h', '-1/60s'])
      expect(parseRateLimit(bad)).toBeUndefined()
  })

  it('allows `limit` requests per key per period, then says how long to wait', async () => {
    let now = 1_000_000
    const limiter = createMemoryRateLimiter({ limit: 2, periodSeconds: 10 }, () => now)
    expect(await limiter.limit('a')).toEqual({ ok: true, retryAfterSeconds: 0 })
    expect(await limiter.limit('a')).toEqual({ ok: true, retryAfterSeconds: 0 })
    now += 2_500
    expect(await limiter.limit('a')).toEqual({ ok: false, retryAfterSeconds: 8 })
    expect((await limiter.limit('b')).ok).toBe(true)
    now += 7_500
    expect(await limiter.limit('a')).toEqual({ ok: true, retryAfterSeconds: 0 })
  })
})
