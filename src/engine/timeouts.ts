import type { ProviderName } from '../env'
import type { ProviderError } from '../providers/errors'
import { firstTextTimeoutError, idleTimeoutError, maxDurationError } from '../providers/limit-errors'
import { type Periodic, ticker } from '../timers/ticker'
import type { GenerationLimits } from './generation-types'

/** What the clocks read of a generation, at each tick. */
export interface ClockedGeneration {
  readonly provider: ProviderName
  /** An attempt is open and not timed out yet. */
  readonly running: boolean
  /** When the whole answer started. */
  readonly startedAt: number
  /** When the current attempt was sent. */
  readonly attemptStartedAt: number
  /** Events written to the client so far. */
  readonly written: number
  /** An upstream read is pending. */
  readonly reading: boolean
  /** Upstream reads begun so far. */
  readonly reads: number
  /** Ends the current attempt with this timeout. */
  expire(error: ProviderError): void
}

/**
 * A generation's clocks: MAX_DURATION_MS for the whole answer, FIRST_TEXT_TIMEOUT_MS until the first
 * output of each attempt, UPSTREAM_IDLE_TIMEOUT_MS while an upstream read is pending after it (a
 * client that reads slowly leaves no read pending, so it is never taken for a silent upstream). They
 * are read about four times per shortest limit (at most every second) on the process's {@link ticker}:
 * no timer of their own on Bun and Node. The hot path only counts reads; the tick reads the clock.
 *
 * @example
 * const clocks = new Clocks(generation, limits)
 * clocks.start()
 * clocks.stop()
 */
export class Clocks implements Periodic {
  private begun = false
  private readonly generation: ClockedGeneration
  private readonly limits: GenerationLimits
  /** The reads counted when the current wait was first seen, and when that was (0: no wait seen). */
  private readsAtWait = 0
  private waitSeenAt = 0

  constructor(generation: ClockedGeneration, limits: GenerationLimits) {
    this.generation = generation
    this.limits = limits
  }

  get started(): boolean {
    return this.begun
  }

  start(): void {
    const { firstTextTimeoutMs, idleTimeoutMs, maxDurationMs } = this.limits
    this.begun = true
    ticker.start(this, Math.max(10, Math.min(1000, firstTextTimeoutMs / 4, idleTimeoutMs / 4, maxDurationMs / 4)))
  }

  stop(): void {
    ticker.stop(this)
  }

  tick(now: number): void {
    const generation = this.generation
    if (!generation.running) return
    const { firstTextTimeoutMs, idleTimeoutMs, maxDurationMs } = this.limits
    if (now - generation.startedAt >= maxDurationMs)
      generation.expire(maxDurationError(generation.provider, maxDurationMs))
    else if (generation.written === 0) {
      if (now - generation.attemptStartedAt >= firstTextTimeoutMs)
        generation.expire(firstTextTimeoutError(generation.provider, firstTextTimeoutMs))
    } else if (!generation.reading) this.waitSeenAt = 0
    else if (this.waitSeenAt === 0 || generation.reads !== this.readsAtWait) {
      this.waitSeenAt = now
      this.readsAtWait = generation.reads
    } else if (now - this.waitSeenAt >= idleTimeoutMs)
      generation.expire(idleTimeoutError(generation.provider, idleTimeoutMs))
  }
}
