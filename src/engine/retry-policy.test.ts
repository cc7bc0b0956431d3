import { describe, expect, it } from 'vitest'
import { ProviderError, missingKeyError, networkError, truncatedError, upstreamStatusError } from '../providers/errors'
import { firstTextTimeoutError, idleTimeoutError, maxDurationError } from '../providers/limit-errors'
import { BASE_BACKOFF_MS, MAX_RETRY_AFTER_MS, canFallBack, isRetryable, retryDelay } from './retry-policy'

const status = (code: number, retryAfterMs?: number) => upstreamStatusError('openai', code, 'x', { retryAfterMs })

describe('retry policy', () => {
  it('retries 429, 5xx, network failures, early closes and first-text timeouts; nothing else', () => {
    for (const error of [
      status(429),
      status(500),
      status(502),
      status(503),
      networkError('gemini', 'x'),
      truncatedError('gemini'),
      firstTextTimeoutError('gemini', 1),
    ]) {
      expect(isRetryable(error), error.message).toBe(true)
    }
    for (const error of [
      status(400),
      status(401),
      status(403),
      status(404),
      status(408),
      missingKeyError('openai'),
      idleTimeoutError('openai', 1),
      maxDurationError('openai', 1),
      new ProviderError('gemini', 'blocked', 'x'),
      new Error('not a provider error'),
    ]) {
      expect(isRetryable(error), String(error)).toBe(false)
    }
    expect(isRetryable(upstreamStatusError('gemini', 503, 'x', { midStream: true }))).toBe(true)
    expect(isRetryable(upstreamStatusError('gemini', undefined, 'x', { midStream: true }))).toBe(true)
    expect(isRetryable(upstreamStatusError('gemini', 400, 'x', { midStream: true }))).toBe(false)
  })

  it("waits the provider's Retry-After when it is short enough, else not at all", () => {
    expect(retryDelay(status(429, 1000), 0)).toBe(1000)
    expect(retryDelay(status(503, 0), 3)).toBe(0)
    expect(retryDelay(status(429, MAX_RETRY_AFTER_MS), 0)).toBe(MAX_RETRY_AFTER_MS)
    expect(retryDelay(status(429, MAX_RETRY_AFTER_MS + 1), 0)).toBeUndefined()
    expect(retryDelay(status(401, 1000), 0)).toBeUndefined()
  })

  it('else backs off exponentially with jitter: retry n waits between half and all of 250 ms × 2^n', () => {
    for (let retry = 0; retry < 4; retry++) {
      const ceiling = BASE_BACKOFF_MS * 2 ** retry
      const waits = Array.from({ length: 200 }, () => retryDelay(status(503), retry)!)
      expect(Math.min(...waits)).toBeGreaterThanOrEqual(ceiling / 2)
      expect(Math.max(...waits)).toBeLessThanOrEqual(ceiling)
      expect(new Set(waits).size).toBeGreaterThan(1)
    }
  })

  it('falls back after any provider failure but a block, a 400 and the total time limit', () => {
    for (const error of [
      status(401),
      status(403),
      status(404),
      status(429),
      status(503),
      missingKeyError('gemini'),
      networkError('openai', 'x'),
      firstTextTimeoutError('openai', 1),
    ]) {
      expect(canFallBack(error), error.message).toBe(true)
    }
    for (const error of [
      status(400),
      new ProviderError('gemini', 'blocked', 'x'),
      maxDurationError('gemini', 1),
      new Error('internal'),
    ]) {
      expect(canFallBack(error), String(error)).toBe(false)
    }
  })
})
