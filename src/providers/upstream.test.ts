import { describe, expect, it } from 'vitest'
import { retryAfterHeader } from './upstream'

describe('retryAfterHeader', () => {
  it("reads OpenAI's retry-after-ms first, then Retry-After in seconds or as an HTTP date", () => {
    expect(retryAfterHeader(new Headers({ 'retry-after-ms': '1500', 'retry-after': '9' }))).toBe(1500)
    expect(retryAfterHeader(new Headers({ 'retry-after': '1' }))).toBe(1000)
    expect(retryAfterHeader(new Headers({ 'retry-after': '0.5' }))).toBe(500)
    const inTwoSeconds = new Date(Date.now() + 2000).toUTCString()
    const fromDate = retryAfterHeader(new Headers({ 'retry-after': inTwoSeconds }))!
    expect(fromDate).toBeGreaterThan(500)
    expect(fromDate).toBeLessThanOrEqual(2000)
    expect(retryAfterHeader(new Headers({ 'retry-after': 'Thu, 01 Jan 1970 00:00:00 GMT' }))).toBe(0)
  })

  it('is undefined when there is none or it is not a number or a date', () => {
    expect(retryAfterHeader(new Headers())).toBeUndefined()
    expect(retryAfterHeader(new Headers({ 'retry-after': 'soon' }))).toBeUndefined()
    expect(retryAfterHeader(new Headers({ 'retry-after-ms': '-5' }))).toBeUndefined()
  })
})
