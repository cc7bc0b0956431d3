import type { Renderer } from '../canonical/renderer'
import type { ProviderName } from '../env'
import { ProviderError, emptyBodyError, truncatedError } from '../providers/errors'
import type { AnswerDecoder } from '../providers/types'
import type { AnsweredAttempt, AttemptRecord, GenerationPlan } from './generation-types'
import { canFallBack, retryDelay } from './retry-policy'
import { sleep } from './sleep'
import { Clocks } from './timeouts'

export type { AnsweredAttempt, AttemptRecord, GenerationLimits, GenerationPlan } from './generation-types'

/**
 * The engine: one answer from the first upstream request to the closing event, for every public API.
 * Retries with backoff and then fallback targets while nothing reached the client; the first-output,
 * idle and total timeouts; the attempt log. It does no I/O towards the client: {@link step} reads one
 * upstream chunk and the provider's decoder hands its parts straight to the API's {@link Renderer}, so
 * a pull-based response body, a resumable store and a whole-answer route all drive it the same way.
 *
 * @example
 * const generation = new Generation(plan, createSeedRenderer(writer, record))
 * while (await generation.step()) {}
 */
export class Generation {
  readonly startedAt = Date.now()
  readonly attempts: AttemptRecord[] = []
  /** Set once the answer ended: true when well, false when it failed or was stopped. */
  succeeded: boolean | undefined
  /** Set once the answer failed. */
  error: unknown
  /** The answer failed before the renderer wrote anything (an API may then answer with an HTTP error). */
  failedBeforeOutput = false
  /** What each upstream request that was answered (2xx) generated, for accounting: usage and a bound. */
  readonly answered: AnsweredAttempt[] = []
  /**
   * Called once when the answer ends, however it ends, before its closing event: what it returns is
   * added to the closing event (the token budget's figures, say).
   */
  onEnd: ((generation: Generation) => Record<string, unknown> | undefined) | undefined
  /**
   * Asked before another upstream request after a failure (a retry, a fallback): the output limit
   * that request may have, below 1 for none at all (a token budget's reservation is spent).
   */
  nextOutputLimit: ((generation: Generation) => number) | undefined

  private target = 0
  private triesOnTarget = 0
  private attempt: AbortController | undefined
  attemptStartedAt = 0
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined
  private decoder: AnswerDecoder | undefined
  /** The current attempt's decoder, once its upstream answered. */
  private attemptDecoder: AnswerDecoder | undefined
  /** An upstream read is pending: the idle clock runs only while the gateway waits for the upstream. */
  reading = false
  /** Upstream reads begun, for the idle clock to see progress. */
  reads = 0
  private timedOut: ProviderError | undefined
  private readonly clocks: Clocks
  /** The current attempt's body brought at least one chunk. */
  private bodyStarted = false
  private ended = false
  /** Made only when a retry waits: ends that wait when the generation stops. */
  private stopped: AbortController | undefined
  private readonly plan: GenerationPlan
  readonly renderer: Renderer

  constructor(plan: GenerationPlan, renderer: Renderer) {
    this.plan = plan
    this.renderer = renderer
    this.clocks = new Clocks(this, plan.limits)
  }

  get provider(): ProviderName {
    return this.currentTarget.provider
  }

  get model(): string {
    return this.currentTarget.model
  }

  get finished(): boolean {
    return this.ended
  }

  /** Upstream requests made (a provider without a key is skipped without one). */
  get requests(): number {
    return this.attempts.filter((attempt) => attempt.outcome !== 'not_configured').length
  }

  /** Reads the next upstream chunk (opening, retrying or falling back first as needed). False once it ended. */
  async step(): Promise<boolean> {
    if (this.ended) return false
    if (!this.clocks.started) this.clocks.start()
    try {
      if (!this.reader) await this.open()
      // Read here rather than in a method of its own: one suspended async call less per open stream.
      // No clock read per chunk: the clocks look at `reading` and `reads` at each tick.
      this.reading = true
      this.reads++
      let chunk: { done: boolean; value?: Uint8Array }
      try {
        chunk = await this.reader!.read()
      } catch (error) {
        throw error instanceof ProviderError || this.ended ? error : truncatedError(this.provider, error)
      } finally {
        this.reading = false
      }
      const { value, done } = chunk
      if (this.ended) return false
      const decoder = this.decoder!
      if (done) {
        // A timeout cancels the body, which ends the pending read as if the upstream had closed.
        if (this.timedOut) throw this.timedOut
        // A 2xx body that ends before its first byte is an empty answer, not a cut or a whole one.
        if (!this.bodyStarted) throw emptyBodyError(this.provider)
        this.succeed(decoder)
        return false
      }
      this.bodyStarted = true
      decoder.push(value!)
      if (decoder.isComplete?.()) {
        this.succeed(decoder)
        return false
      }
      return true
    } catch (error) {
      if (this.ended) return false
      return this.failed(this.timedOut ?? error)
    }
  }

  /** Stops the generation (the client left, DELETE, a bound): the upstream request is closed at once. */
  abort(reason: unknown = new DOMException('The generation was stopped', 'AbortError')): void {
    if (this.ended) return
    this.closeAttempt('aborted', reason)
    this.end()
    this.succeeded = false
    this.runEndHook()
  }

  private get currentTarget(): Required<GenerationPlan['targets'][number]> {
    return this.plan.targets[this.target] ?? this.plan.targets[0]!
  }

  private async open(): Promise<void> {
    const { provider, model } = this.currentTarget
    this.attempt = new AbortController()
    this.attemptStartedAt = Date.now()
    this.timedOut = undefined
    this.renderer.begin?.(provider, model)
    const timing = this.plan.timing
    if (timing && timing.sentAt === 0) timing.sentAt = this.attemptStartedAt
    const answer = await this.plan.providers[provider].open(this.plan.request, model, this.attempt.signal)
    if (timing && timing.answeredAt === 0) timing.answeredAt = Date.now()
    if (this.ended) {
      answer.body.cancel().catch(() => {})
      return
    }
    this.reader = answer.body.getReader()
    this.bodyStarted = false
    this.decoder = answer.decoder(this.renderer)
    this.attemptDecoder = this.decoder
  }

  private succeed(decoder: AnswerDecoder): void {
    const result = decoder.finish()
    this.closeAttempt('done')
    this.end()
    this.succeeded = true
    this.renderer.done(result, this.requests, this.runEndHook())
  }

  /** Runs {@link onEnd} once. */
  private runEndHook(): Record<string, unknown> | undefined {
    const hook = this.onEnd
    this.onEnd = undefined
    return hook?.(this)
  }

  private async failed(error: unknown): Promise<boolean> {
    this.closeAttempt(error instanceof ProviderError ? error.kind : 'internal', error)
    if (this.renderer.written === 0 && this.roomForAnother()) {
      const remaining = this.startedAt + this.plan.limits.maxDurationMs - Date.now()
      const wait = this.triesOnTarget < this.plan.limits.retries ? retryDelay(error, this.triesOnTarget) : undefined
      if (wait !== undefined && wait < remaining) {
        this.triesOnTarget++
        try {
          this.stopped ??= new AbortController()
          await sleep(wait, this.stopped.signal)
        } catch {
          return false
        }
        return !this.ended
      }
      if (remaining > 0 && canFallBack(error) && this.nextTarget()) return true
    }
    this.end()
    this.succeeded = false
    this.error = error
    this.failedBeforeOutput = this.renderer.written === 0
    this.runEndHook()
    this.renderer.fail(error)
    return false
  }

  /** Whether another upstream request may be sent, with the output limit {@link nextOutputLimit} leaves it. */
  private roomForAnother(): boolean {
    const limit = this.nextOutputLimit?.(this)
    if (limit === undefined) return true
    if (!(limit >= 1)) return false
    const request = this.plan.request
    request.maxOutputTokens = Math.min(request.maxOutputTokens ?? limit, limit)
    return true
  }

  /** Moves to the next configured fallback; false when none is left. */
  private nextTarget(): boolean {
    for (let next = this.target + 1; next < this.plan.targets.length; next++) {
      if (this.plan.providers[this.plan.targets[next]!.provider].configured) {
        this.target = next
        this.triesOnTarget = 0
        return true
      }
    }
    return false
  }

  private closeAttempt(outcome: AttemptRecord['outcome'], reason?: unknown): void {
    if (!this.attempt) return
    const status = reason instanceof ProviderError ? reason.status : undefined
    this.attempts.push({
      provider: this.provider,
      model: this.model,
      outcome,
      ...(status !== undefined ? { status } : {}),
      ms: Date.now() - this.attemptStartedAt,
    })
    this.reader?.cancel(reason).catch(() => {})
    this.attempt.abort(reason)
    this.attempt = undefined
    this.reader = undefined
    const decoder = this.attemptDecoder
    if (decoder) {
      this.answered.push({
        provider: this.provider,
        model: this.model,
        usage: decoder.usage(),
        generated: decoder.generatedBound(),
      })
      this.attemptDecoder = undefined
    }
  }

  private end(): void {
    this.ended = true
    this.clocks.stop()
    this.stopped?.abort()
  }

  /** An attempt is open and has not timed out (for the clocks). */
  get running(): boolean {
    return this.attempt !== undefined && this.timedOut === undefined
  }

  /** Events written to the client so far (for the clocks). */
  get written(): number {
    return this.renderer.written
  }

  /** Ends the current attempt with a timeout; the pending read fails with it and {@link failed} decides. */
  expire(error: ProviderError): void {
    this.timedOut = error
    this.reader?.cancel(error).catch(() => {})
    this.attempt?.abort(error)
  }
}
