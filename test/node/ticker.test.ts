import { describe, expect, it } from 'vitest'
import { SharedTicker, runsOnWorkers, ticker } from '../../src/timers/ticker'

describe('the ticker on Node', () => {
  it('is one shared interval for the whole process, not a timer per stream', () => {
    expect(runsOnWorkers()).toBe(false)
    expect(ticker).toBeInstanceOf(SharedTicker)
  })
})
