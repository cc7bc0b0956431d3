import type { EventWriter } from '../canonical/renderer'
import { createStreamRenderer, type RenderSpec } from '../renderers/spec'
import { Generation, type GenerationPlan } from '../engine/generation'
import type { BudgetTicket } from '../budgets/ticket'
import type { RecordSnapshot, RequestRecord } from '../observability/request-record'
import { ProviderError } from '../providers/errors'
import { maxStreamBytesError } from '../providers/limit-errors'
import { failureStatus } from '../providers/failure-status'
import { holdBudget } from '../budgets/hold'
import { listenerResponse } from './listener-body'
import { StreamLog } from './stream-log'

/** How a resumable stream ended, for the log line. */
export type LiveOutcome = 'done' | 'error' | 'cancelled' | 'client_left'

/** What starting a resumable stream needs besides the providers; plain JSON, so the worker can send it to a Durable Object. */
export interface StreamStart {
  streamId: string
  /** The generation's plan without the providers (those come from where it runs). */
  plan: Omit<GenerationPlan, 'providers'>
  /** The public API the stream speaks. */
  render: RenderSpec
  pingIntervalMs: number
  /** RESUME_GRACE_MS */
  graceMs: number
  /** RESUME_TTL_MS */
  ttlMs: number
  /** MAX_STREAM_BYTES */
  maxStreamBytes: number
  /** The starting request's record so far: where the generation runs, it writes that request's log line. */
  record: RecordSnapshot
  /** The token budget's reservation: where the generation runs, it settles it. */
  budget?: BudgetTicket
  /**
   * Runs to the end with nobody listening (the Responses API's background mode): no grace, and the
   * first response does not wait for the first output.
   */
  background?: boolean
  /** How long the final state (the renderer's `state()`) stays readable after the end, when longer than `ttlMs` (RESPONSES_TTL_MS). */
  stateTtlMs?: number
}

/** What a store adds to a {@link StreamStart} when it runs the generation itself. */
export type LiveStreamHooks = Pick<LiveStreamOptions, 'onGrow' | 'onEnd' | 'onListeners'>

export interface LiveStreamOptions {
  streamId: string
  render: RenderSpec
  graceMs: number
  /** MAX_STREAM_BYTES: past it the stream ends with an error event and the upstream request is closed. */
  maxBytes: number
  /** Each event's size as the log takes it (a store's running total). */
  onGrow?: (bytes: number) => void
  /**
   * The starting request's record: it counts pieces and bytes, makes the closing event safe (checked
   * model name, masked, `request_id`), masks error messages, and writes the log line when the stream ends.
   */
  record: RequestRecord
  /** See {@link StreamStart.background}. */
  background?: boolean
  /** Called once when the closing event is in the log. */
  onEnd?: (generation: Generation, outcome: LiveOutcome, log: StreamLog) => void
  /** The number of listeners on the log changed. */
  onListeners?: (listeners: number) => void
}

/**
 * A generation writing into a {@link StreamLog}, in its API's own events: it reads the upstream as fast
 * as it answers, whoever listens, so no client can slow it down and a reconnecting one finds every
 * event. DELETE ends it with its API's cancelled ending; with no listener for the grace it is aborted.
 *
 * @example
 * const live = new LiveStream(plan, { streamId, render: { api: 'seed' }, graceMs: 10_000, record })
 * void live.run()
 * return listenerResponse(live.log, 0, { pingIntervalMs: 15_000 })
 */
export class LiveStream {
  readonly log: StreamLog
  readonly generation: Generation
  /** The first event is in the log, or the stream ended. */
  private outputSeen = false
  /** Set only while the first response waits for the first output. */
  private announce: (() => void) | undefined
  private readonly options: LiveStreamOptions

  /**
   * The generation a store runs for `start`, with the providers and record of where it runs; the
   * token budget's settlement goes to `settle` (with the tokens spent).
   */
  static fromStart(
    start: StreamStart,
    providers: GenerationPlan['providers'],
    record: RequestRecord,
    hooks: LiveStreamHooks & { settle?: (ticket: BudgetTicket, spent: number) => void } = {},
  ): LiveStream {
    const { settle, ...rest } = hooks
    const live = new LiveStream(
      { ...start.plan, providers },
      {
        streamId: start.streamId,
        render: start.render,
        graceMs: start.graceMs,
        maxBytes: start.maxStreamBytes,
        record,
        ...(start.background ? { background: true } : {}),
        ...rest,
      },
    )
    const ticket = start.budget
    if (ticket && settle) holdBudget(live.generation, ticket, record, (spent) => settle(ticket, spent))
    return live
  }

  constructor(plan: GenerationPlan, options: LiveStreamOptions) {
    this.options = options
    this.log = new StreamLog(options.streamId, {
      graceMs: options.graceMs,
      ...(options.background ? {} : { onDeserted: this.desert }),
      maxBytes: options.maxBytes,
      onOverflow: this.overflow,
      onGrow: options.onGrow,
      onListeners: options.onListeners,
    })
    const { log } = this
    const { record } = options
    record.streaming = true
    record.set({ stream_id: options.streamId })
    const writer: EventWriter = {
      event: (text) => {
        if (!this.outputSeen) this.announceOutput()
        return log.appendEvent(text)
      },
      events: (bytes) => {
        if (!this.outputSeen) this.announceOutput()
        log.appendEvents(bytes)
      },
    }
    this.generation = new Generation(
      { ...plan, timing: record.upstream },
      createStreamRenderer(options.render, writer, record),
    )
  }

  /**
   * The first listener's response: at once for the gateway's own events and in background mode,
   * after the first output for APIs that answer a failure before any output with an HTTP error
   * (chat completions, Responses).
   */
  async firstResponse(pingIntervalMs: number): Promise<Response> {
    if (this.options.render.api !== 'seed' && !this.options.background && !this.outputSeen) {
      await new Promise<void>((resolve) => (this.announce = resolve))
    }
    const { generation } = this
    const { renderer } = generation
    if (generation.failedBeforeOutput && renderer.failedResponse) return renderer.failedResponse(generation.error)
    return listenerResponse(this.log, 0, { pingIntervalMs })
  }

  /** The renderer's state as plain JSON (the Responses API's Response object), null when it keeps none. */
  state(): unknown {
    return this.generation.renderer.state?.() ?? null
  }

  private announceOutput(): void {
    this.outputSeen = true
    this.announce?.()
    this.announce = undefined
  }

  /** Reads the upstream to the end (or until stopped). */
  async run(): Promise<void> {
    const { generation } = this
    try {
      while (await generation.step()) {}
    } catch (error) {
      generation.abort(error)
      generation.renderer.fail(error)
    }
    if (!this.log.finished) this.end(generation.succeeded ? 'done' : 'error')
  }

  /** DELETE: closes the upstream request now; every listener gets the API's cancelled ending. */
  cancel(): void {
    if (this.log.finished) return
    const { generation } = this
    generation.abort(new DOMException('The stream was cancelled', 'AbortError'))
    generation.renderer.cancelled({
      provider: generation.provider,
      model: generation.model,
      attempts: generation.attempts.length,
    })
    this.end('cancelled')
  }

  /**
   * Stops the answer for a reason the runtime imposes (`why`, after "the answer was stopped "): the
   * listeners get the API's error ending, which tells them to send the request again.
   */
  stop(why: string): void {
    if (this.log.finished) return
    const { generation } = this
    generation.abort(new DOMException('The answer was stopped', 'AbortError'))
    const message = `${generation.provider}: the answer was stopped ${why}. Send the request again.`
    generation.renderer.fail(new ProviderError(generation.provider, 'abandoned', message))
    this.end('client_left')
  }

  /** Nobody listened for the whole grace: stop paying for an answer nobody reads. */
  private readonly desert = (): void => {
    this.stop(
      this.options.graceMs === 0
        ? 'when the client left'
        : `after no client was connected for ${this.options.graceMs / 1000} s (RESUME_GRACE_MS)`,
    )
  }

  /** The log reached MAX_STREAM_BYTES (nobody reads, or the answer runs away): stop reading the upstream. */
  private readonly overflow = (): void => {
    if (this.log.finished) return
    const { generation } = this
    const error = maxStreamBytesError(generation.provider, this.options.maxBytes)
    generation.abort(error)
    generation.renderer.fail(error)
    this.end('error')
  }

  private end(outcome: LiveOutcome): void {
    if (this.log.finished) return
    this.log.close()
    this.announceOutput()
    const { record } = this.options
    const { generation } = this
    record.set({ attempts: generation.attempts })
    const answeredWithStatus =
      !this.options.background && generation.failedBeforeOutput && generation.renderer.failedResponse
    record.finish(outcome, answeredWithStatus ? failureStatus(generation.error) : 200)
    this.options.onEnd?.(this.generation, outcome, this.log)
  }
}
