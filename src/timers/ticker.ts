/**
 * Periodic work for open streams (`: ping` comments, a generation's clocks) goes through here, so that
 * an open stream costs no timer of its own on Bun and Node: there one process-wide `setInterval`
 * (unref'd, armed only while there is work) calls every due task. On Cloudflare Workers a timer made
 * by one request must not do I/O for another ("Cannot perform I/O on behalf of a different request"),
 * so there each task keeps a timer of its own, made while its request runs.
 *
 * A task is called with the time about every `periodMs`: never sooner than `periodMs` after it was
 * started or last called, and at most about a quarter period later.
 *
 * @example
 * class Pinger implements Periodic {
 *   tick(now: number) { controller.enqueue(PING_EVENT) }
 * }
 * ticker.start(pinger, 15_000)
 * ticker.stop(pinger)
 */

/** Work done every so often: an object with a method, so a stream needs no closure per timer. */
export interface Periodic {
  tick(now: number): void
}

export interface Ticker {
  /** Calls `task.tick(now)` about every `periodMs` until {@link stop} (a task started again starts over). */
  start(task: Periodic, periodMs: number): void
  /** Stops calling `task` (nothing if it was not started). */
  stop(task: Periodic): void
}

/** The runtime's timers, given so that tests can arm and fire the one interval themselves. */
export interface IntervalTimers {
  setInterval(run: () => void, ms: number): unknown
  clearInterval(timer: unknown): void
}

/** The shared interval never ticks more often than this, nor more seldom than {@link MAX_TICK_MS}. */
export const MIN_TICK_MS = 10
export const MAX_TICK_MS = 1000

const RUNTIME_TIMERS: IntervalTimers = {
  setInterval(run, ms) {
    const timer = setInterval(run, ms)
    // Bun and Node: the ticker alone never keeps the process running.
    ;(timer as { unref?: () => void }).unref?.()
    return timer
  },
  clearInterval: (timer) => clearInterval(timer as ReturnType<typeof setInterval>),
}

export interface SharedTickerOptions {
  timers?: IntervalTimers
  now?: () => number
  /** A task threw: by default the error is thrown again outside the tick, as its own timer would have. */
  onError?: (error: unknown) => void
}

/** One failing task does not keep the others from their tick, and its error still surfaces. */
const rethrowLater = (error: unknown): void =>
  queueMicrotask(() => {
    throw error
  })

/**
 * Every task of the process on one interval, which ticks at a quarter of the shortest period (within
 * {@link MIN_TICK_MS}..{@link MAX_TICK_MS}). Tasks are kept by period, each with the time it is due.
 */
export class SharedTicker implements Ticker {
  /** Period → task → when it is due next. */
  private readonly groups = new Map<number, Map<Periodic, number>>()
  private timer: unknown
  private tickMs = 0
  private readonly timers: IntervalTimers
  private readonly now: () => number
  private readonly onError: (error: unknown) => void

  constructor(options: SharedTickerOptions = {}) {
    this.timers = options.timers ?? RUNTIME_TIMERS
    this.now = options.now ?? Date.now
    this.onError = options.onError ?? rethrowLater
  }

  /** Tasks started and not stopped. */
  get size(): number {
    let size = 0
    for (const group of this.groups.values()) size += group.size
    return size
  }

  /** How often the one interval ticks now (0: not armed). */
  get intervalMs(): number {
    return this.tickMs
  }

  start(task: Periodic, periodMs: number): void {
    this.stop(task)
    let group = this.groups.get(periodMs)
    if (!group) {
      group = new Map()
      this.groups.set(periodMs, group)
      this.rearm()
    }
    group.set(task, this.now() + periodMs)
  }

  stop(task: Periodic): void {
    for (const [periodMs, group] of this.groups) {
      if (!group.delete(task)) continue
      if (group.size === 0) {
        this.groups.delete(periodMs)
        this.rearm()
      }
      return
    }
  }

  /** Calls every task due at `now` (what the interval does at each tick). */
  tick(now: number = this.now()): void {
    // forEach rather than for…of: no [key, value] array per task per tick.
    this.groups.forEach((group, periodMs) => {
      group.forEach((dueAt, task) => {
        if (now < dueAt) return
        group.set(task, now + periodMs)
        try {
          task.tick(now)
        } catch (error) {
          this.onError(error)
        }
      })
    })
  }

  private readonly onInterval = (): void => this.tick()

  /** Arms the interval at a quarter of the shortest period, or clears it when no task is left. */
  private rearm(): void {
    let shortest = Number.POSITIVE_INFINITY
    for (const periodMs of this.groups.keys()) shortest = Math.min(shortest, periodMs)
    const tickMs = this.groups.size === 0 ? 0 : Math.max(MIN_TICK_MS, Math.min(MAX_TICK_MS, shortest / 4))
    if (tickMs === this.tickMs) return
    if (this.tickMs !== 0) this.timers.clearInterval(this.timer)
    this.tickMs = tickMs
    this.timer = tickMs === 0 ? undefined : this.timers.setInterval(this.onInterval, tickMs)
  }
}

/** Each task on a timer of its own, made in the request that starts it (Cloudflare Workers). */
export class OwnTimers implements Ticker {
  private readonly timers = new Map<Periodic, ReturnType<typeof setInterval>>()

  start(task: Periodic, periodMs: number): void {
    this.stop(task)
    this.timers.set(
      task,
      setInterval(() => task.tick(Date.now()), periodMs),
    )
  }

  stop(task: Periodic): void {
    const timer = this.timers.get(task)
    if (timer === undefined) return
    clearInterval(timer)
    this.timers.delete(task)
  }
}

/** Cloudflare Workers (workerd) says so in `navigator.userAgent`; Bun and Node name themselves there. */
export function runsOnWorkers(
  userAgent: string | undefined = typeof navigator === 'undefined' ? undefined : navigator.userAgent,
): boolean {
  return userAgent === 'Cloudflare-Workers'
}

/** The ticker for a runtime: timers of their own on Workers, one shared interval elsewhere. */
export function createTicker(onWorkers: boolean = runsOnWorkers()): Ticker {
  return onWorkers ? new OwnTimers() : new SharedTicker()
}

/** This process's ticker. */
export const ticker: Ticker = createTicker()
