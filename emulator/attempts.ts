/**
 * Counts the requests of each prompt, per provider, so `fail=N` can fail the first N and answer the
 * rest. Keyed by the whole last user message (tags included): concurrent tests that use different
 * prompts never share a count.
 *
 * @example
 * const attempts = new AttemptCounter()
 * attempts.next('openai', 'Hi [emu fail=1]') // 1: fails
 * attempts.next('openai', 'Hi [emu fail=1]') // 2: answers
 */
import type { Scenario } from './scenario.ts'

/** What every provider handler gets besides the request: the emulator's defaults and the counts. */
export interface HandlerContext {
  defaults: Scenario
  attempts: AttemptCounter
}

export class AttemptCounter {
  private counts = new Map<string, number>()

  /** Counts one more request of `prompt` to `provider`; returns its number, from 1. */
  next(provider: string, prompt: string): number {
    const key = `${provider}\n${prompt}`
    const count = (this.counts.get(key) ?? 0) + 1
    this.counts.set(key, count)
    return count
  }

  clear(): void {
    this.counts.clear()
  }
}
