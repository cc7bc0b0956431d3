import type { ModelTarget, ProviderName } from '../env'
import {
  ProviderError,
  firstTextTimeoutError,
  idleTimeoutError,
  maxDurationError,
  truncatedError,
} from '../providers/errors'
import type { AnswerDecoder, StreamResult } from '../providers/types'
import type { AttemptRecord, GenerationListener, GenerationPlan } from './generation-types'
import { retryDelay, canFallBack } from './retry-policy'
import { sleep } from './sleep'

export type { AttemptRecord, GenerationLimits, GenerationListener, GenerationPlan } from './generation-types'

/**
 * One answer from the first upstream request to the closing event: retries with backoff and then
 * fallback providers while no text has been sent, the first-text, idle and total timeouts, and the
 * figures a log line needs. It does no I/O towards the client: {@link step} reads one upstream chunk and
 * reports its text pieces to the listener, so a pull-based response body, a resumable store and the
 * non-streaming flow all drive it the same way.
 *
 * @example
 * const generation = new Generation(plan, { text: send, done: close, fail: report })
 * while (await generation.step()) {}
 */
export class Generation {
  readonly startedAt = Date.now()
  firstTextAt = 0
  pieces = 0
  characters = 0
  readonly attempts: AttemptRecord[] = []
  /** Set once the answer ended well. */
  result: StreamResult | undefined
  /** Set once the answer failed. */
  error: unknown

  private target = 0
  private triesOnTarget = 0
  private attempt: AbortController | undefined
  private attemptModel = ''
  private attemptStartedAt = 0
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined
  private decoder: AnswerDecoder | undefined
  private lastTextAt = 0
  private piecesAtTick = 0
  private timedOut: ProviderError | undefined
  /** Checks the silence between pieces (UPSTREAM_IDLE_TIMEOUT_MS), to the tick. */
  private timer: ReturnType<typeof setInterval> | undefined
  /** Fires at MAX_DURATION_MS after the start. */
  private deadline: ReturnType<typeof setTimeout> | undefined
  /** Fires at FIRST_TEXT_TIMEOUT_MS after the current attempt was sent, unless text came first. */
  private firstTextTimer: ReturnType<typeof setTimeout> | undefined
  private ended = false
  private readonly stopped = new AbortController()

  private readonly plan: GenerationPlan
  private readonly listener: GenerationListener

  constructor(plan: GenerationPlan, listener: GenerationListener) {
    this.plan = plan
    this.listener = listener
  }

  /** The provider currently (or last) asked. */
  get provider(): ProviderName {
    return this.currentTarget.provider
  }

  /** The model currently (or last) asked. */
  get model(): string {
    return this.attemptModel || (this.currentTarget.model ?? this.plan.providers[this.provider].defaultModel)
  }

  get finished(): boolean {
    return this.ended
  }

  /** Reads the next upstream chunk (opening, retrying or falling back first as needed). False once it ended. */
  async step(): Promise<boolean> {
    if (this.ended) return false
    if (this.timer === undefined) this.startClocks()
    try {
      if (!this.reader) await this.open()
      const { value, done } = await this.read()
      if (this.ended) return false
      if (done) {
        this.succeed(this.decoder!.finish())
        return false
      }
      this.decoder!.push(value!)
      return true
    } catch (error) {
      if (this.ended) return false
      return this.failed(this.timedOut ?? error)
    }
  }

  /** Stops the generation (the client left, or DELETE): the upstream request is closed at once. */
  abort(reason: unknown = new DOMException('The generation was stopped', 'AbortError')): void {
    if (this.ended) return
    this.closeAttempt('aborted', reason)
    this.end()
  }

  private get currentTarget(): ModelTarget {
    return this.plan.targets[this.target] ?? this.plan.targets[0]!
  }

  private readonly onText = (piece: string): void => {
    if (this.pieces === 0) {
      this.firstTextAt = this.lastTextAt = Date.now()
      clearTimeout(this.firstTextTimer)
    }
    this.pieces++
    this.characters += piece.length
    this.listener.text(piece)
  }

  /** The next upstream read; a failed read is a connection that closed too early. */
  private async read(): Promise<{ done: boolean; value?: Uint8Array }> {
    try {
      return await this.reader!.read()
    } catch (error) {
      throw error instanceof ProviderError || this.ended ? error : truncatedError(this.provider, error)
    }
  }

  private async open(): Promise<void> {
    const { provider } = this.currentTarget
    const chat = this.plan.providers[provider]
    this.attempt = new AbortController()
    this.attemptStartedAt = Date.now()
    this.attemptModel = this.currentTarget.model ?? chat.defaultModel
    this.timedOut = undefined
    this.firstTextTimer = setTimeout(this.onFirstTextTimeout, this.plan.limits.firstTextTimeoutMs)
    const answer = await chat.open({ ...this.plan.request, model: this.attemptModel }, this.attempt.signal)
    if (this.ended) {
      answer.body.cancel().catch(() => {})
      return
    }
    this.reader = answer.body.getReader()
    this.decoder = answer.decoder(this.onText)
  }

  private succeed(result: StreamResult): void {
    this.closeAttempt('done')
    this.end()
    this.result = result
    // A provider without a key is skipped without a request: it is in the log, not in the count.
    this.listener.done(result, this.attempts.filter((attempt) => attempt.outcome !== 'not_configured').length)
  }

  private async failed(error: unknown): Promise<boolean> {
    this.closeAttempt(error instanceof ProviderError ? error.kind : 'internal', error)
    if (this.pieces === 0) {
      const remaining = this.startedAt + this.plan.limits.maxDurationMs - Date.now()
      const wait = this.triesOnTarget < this.plan.limits.retries ? retryDelay(error, this.triesOnTarget) : undefined
      if (wait !== undefined && wait < remaining) {
        this.triesOnTarget++
        try {
          await sleep(wait, this.stopped.signal)
        } catch {
          return false
        }
        return !this.ended
      }
      if (remaining > 0 && canFallBack(error) && this.nextTarget()) return true
    }
    this.end()
    this.error = error
    this.listener.fail(error)
    return false
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
      model: this.attemptModel,
      outcome,
      ...(status !== undefined ? { status } : {}),
      ms: Date.now() - this.attemptStartedAt,
    })
    clearTimeout(this.firstTextTimer)
    this.reader?.cancel(reason).catch(() => {})
    this.attempt.abort(reason)
    this.attempt = undefined
    this.reader = undefined
    this.decoder = undefined
  }

  private end(): void {
    this.ended = true
    if (this.timer !== undefined) clearInterval(this.timer)
    clearTimeout(this.deadline)
    clearTimeout(this.firstTextTimer)
    this.stopped.abort()
  }

  /** The idle tick and the total-time timer, once, at the first step. */
  private startClocks(): void {
    this.timer = setInterval(this.checkTime, this.tick())
    this.deadline = setTimeout(this.onDeadline, this.startedAt + this.plan.limits.maxDurationMs - Date.now())
  }

  /** The idle check's period: a quarter of UPSTREAM_IDLE_TIMEOUT_MS, at most a second. */
  private tick(): number {
    return Math.max(10, Math.min(1000, this.plan.limits.idleTimeoutMs / 4))
  }

  private readonly onFirstTextTimeout = (): void => {
    if (this.attempt && !this.timedOut && this.pieces === 0) {
      this.expire(firstTextTimeoutError(this.provider, this.plan.limits.firstTextTimeoutMs))
    }
  }

  private readonly onDeadline = (): void => {
    if (this.attempt && !this.timedOut) this.expire(maxDurationError(this.provider, this.plan.limits.maxDurationMs))
  }

  /** Every tick: the idle timeout, and the other two limits again should a timer have found no attempt. */
  private readonly checkTime = (): void => {
    if (!this.attempt || this.timedOut) return
    const now = Date.now()
    // The hot path only counts pieces; the time of the last one is taken here, to the tick.
    if (this.pieces !== this.piecesAtTick) {
      this.piecesAtTick = this.pieces
      this.lastTextAt = now
    }
    const { firstTextTimeoutMs, idleTimeoutMs, maxDurationMs } = this.plan.limits
    const provider = this.provider
    if (now - this.startedAt >= maxDurationMs) this.expire(maxDurationError(provider, maxDurationMs))
    else if (this.pieces === 0 && now - this.attemptStartedAt >= firstTextTimeoutMs) {
      this.expire(firstTextTimeoutError(provider, firstTextTimeoutMs))
    } else if (this.pieces > 0 && now - this.lastTextAt >= idleTimeoutMs)
      this.expire(idleTimeoutError(provider, idleTimeoutMs))
  }

  /** Ends the current attempt with a timeout; the pending read fails with it and {@link failed} decides. */
  private expire(error: ProviderError): void {
    this.timedOut = error
    this.reader?.cancel(error).catch(() => {})
    this.attempt?.abort(error)
  }
}
