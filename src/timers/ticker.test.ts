import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  type IntervalTimers,
  OwnTimers,
  type Periodic,
  SharedTicker,
  createTicker,
  runsOnWorkers,
  ticker,
} from './ticker'

/** A task that notes the times it was called at. */
class Recorder implements Periodic {
  readonly calls: number[] = []
  tick(now: number): void {
    this.calls.push(now)
  }
}

/** The runtime's interval as a list: what is armed, at which period, and what was cleared. */
class ArmedIntervals implements IntervalTimers {
  readonly armed: { ms: number; run: () => void; cleared: boolean }[] = []
  setInterval(run: () => void, ms: number): unknown {
    const timer = { ms, run, cleared: false }
    this.armed.push(timer)
    return timer
  }
  clearInterval(timer: unknown): void {
    ;(timer as { cleared: boolean }).cleared = true
  }
  get live(): { ms: number; run: () => void }[] {
    return this.armed.filter((timer) => !timer.cleared)
  }
}

function shared(startAt = 1000) {
  const clock = { now: startAt }
  const timers = new ArmedIntervals()
  const errors: unknown[] = []
  const made = new SharedTicker({ timers, now: () => clock.now, onError: (error) => errors.push(error) })
  return { ticker: made, clock, timers, errors }
}

describe('SharedTicker (Bun, Node)', () => {
  it('calls a task once per period, never before a whole period has passed since it started or last ran', () => {
    const { ticker, clock } = shared(1000)
    const task = new Recorder()
    ticker.start(task, 100)
    ticker.tick(1099)
    expect(task.calls).toEqual([])
    ticker.tick(1100)
    ticker.tick(1150)
    ticker.tick(1199)
    expect(task.calls).toEqual([1100])
    // A late tick counts the next period from when the task ran.
    ticker.tick(1230)
    ticker.tick(1329)
    ticker.tick(1330)
    expect(task.calls).toEqual([1100, 1230, 1330])
    clock.now = 2000
    ticker.tick()
    expect(task.calls).toEqual([1100, 1230, 1330, 2000])
  })

  it('runs every task of the process on one interval, at a quarter of the shortest period, unarmed when idle', () => {
    const { ticker, timers } = shared()
    const pings = [new Recorder(), new Recorder()]
    const clocks = new Recorder()
    expect(ticker.intervalMs).toBe(0)
    for (const ping of pings) ticker.start(ping, 15_000)
    expect(timers.live.map((timer) => timer.ms)).toEqual([1000])
    ticker.start(clocks, 400)
    expect(timers.live.map((timer) => timer.ms)).toEqual([100])
    expect(ticker.size).toBe(3)
    ticker.stop(clocks)
    expect(timers.live.map((timer) => timer.ms)).toEqual([1000])
    for (const ping of pings) ticker.stop(ping)
    expect(timers.live).toEqual([])
    expect(ticker.intervalMs).toBe(0)
    expect(ticker.size).toBe(0)
  })

  it('keeps the interval between 10 ms and 1 s whatever the periods', () => {
    const { ticker, timers } = shared()
    ticker.start(new Recorder(), 8)
    expect(timers.live.map((timer) => timer.ms)).toEqual([10])
    const { ticker: slow, timers: slowTimers } = shared()
    slow.start(new Recorder(), 600_000)
    expect(slowTimers.live.map((timer) => timer.ms)).toEqual([1000])
  })

  it('the armed interval calls the due tasks at the current time', () => {
    const { ticker, timers, clock } = shared(0)
    const task = new Recorder()
    ticker.start(task, 40)
    clock.now = 40
    timers.live[0]!.run()
    expect(task.calls).toEqual([40])
  })

  it('a stopped task is not called again, nor is one that stops itself; others go on', () => {
    const { ticker } = shared(0)
    const stopped = new Recorder()
    const kept = new Recorder()
    const once: Periodic & { calls: number } = {
      calls: 0,
      tick() {
        this.calls++
        ticker.stop(this)
      },
    }
    for (const task of [stopped, once, kept]) ticker.start(task, 10)
    ticker.stop(stopped)
    ticker.stop(stopped)
    ticker.tick(10)
    ticker.tick(20)
    expect([stopped.calls, once.calls, kept.calls]).toEqual([[], 1, [10, 20]])
  })

  it('a task started again starts its period over', () => {
    const { ticker, clock } = shared(0)
    const task = new Recorder()
    ticker.start(task, 100)
    clock.now = 90
    ticker.start(task, 100)
    ticker.tick(100)
    expect(task.calls).toEqual([])
    ticker.tick(190)
    expect(task.calls).toEqual([190])
    expect(ticker.size).toBe(1)
  })

  it('a task that throws does not keep the others from their tick, and its error is reported', () => {
    const { ticker, errors } = shared(0)
    const failure = new Error('enqueue after close')
    const before = new Recorder()
    const after = new Recorder()
    ticker.start(before, 10)
    ticker.start(
      {
        tick() {
          throw failure
        },
      },
      10,
    )
    ticker.start(after, 10)
    ticker.tick(10)
    expect(errors).toEqual([failure])
    expect([before.calls, after.calls]).toEqual([[10], [10]])
  })
})

describe('OwnTimers (Cloudflare Workers)', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('gives each task an interval of its own, cleared when it stops', () => {
    vi.useFakeTimers({ now: 5000 })
    const own = new OwnTimers()
    const a = new Recorder()
    const b = new Recorder()
    own.start(a, 100)
    own.start(b, 250)
    vi.advanceTimersByTime(99)
    expect(a.calls).toEqual([])
    vi.advanceTimersByTime(1)
    expect(a.calls).toEqual([5100])
    vi.advanceTimersByTime(150)
    expect([a.calls, b.calls]).toEqual([[5100, 5200], [5250]])
    own.stop(a)
    own.stop(a)
    vi.advanceTimersByTime(500)
    expect(a.calls).toEqual([5100, 5200])
    expect(b.calls).toEqual([5250, 5500, 5750])
    own.stop(b)
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('which ticker a runtime gets', () => {
  it('Workers by its user agent, not Bun or Node', () => {
    expect(runsOnWorkers('Cloudflare-Workers')).toBe(true)
    for (const agent of ['Bun/1.3.5', 'Node.js/24', '']) expect(runsOnWorkers(agent)).toBe(false)
    expect(createTicker(true)).toBeInstanceOf(OwnTimers)
    expect(createTicker(false)).toBeInstanceOf(SharedTicker)
  })

  it('these tests run in workerd: the process ticker keeps timers per task', () => {
    expect(runsOnWorkers()).toBe(true)
    expect(ticker).toBeInstanceOf(OwnTimers)
  })
})
