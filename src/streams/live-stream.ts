import { describeResult, publicErrorMessage } from '../answer-stream'
import { Generation, type GenerationPlan } from '../flows/generation'
import type { RecordSnapshot, RequestRecord } from '../observability/request-record'
import { maxStreamBytesError } from '../providers/errors'
import { chunkData, doneData, errorData } from '../sse'
import { StreamLog } from './stream-log'

/** How a resumable stream ended, for the log line. */
export type LiveOutcome = 'done' | 'error' | 'cancelled' | 'client_left'

/** What starting a resumable stream needs besides the providers; plain JSON, so the worker can send it to a Durable Object. */
export interface StreamStart {
  streamId: string
  /** The generation's plan without the providers (those come from where it runs). */
  plan: Omit<GenerationPlan, 'providers'>
  pingIntervalMs: number
  /** RESUME_GRACE_MS */
  graceMs: number
  /** RESUME_TTL_MS */
  ttlMs: number
  /** MAX_STREAM_BYTES */
  maxStreamBytes: number
  /** The starting request's record so far: where the generation runs, it writes that request's log line. */
  record: RecordSnapshot
}

export interface LiveStreamOptions {
  streamId: string
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
  /** Called once when the closing event is in the log. */
  onEnd?: (generation: Generation, outcome: LiveOutcome, log: StreamLog) => void
}

/**
 * A generation writing into a {@link StreamLog}: it reads the upstream as fast as it answers, whoever
 * listens, so no client can slow it down and a reconnecting one finds every event. DELETE ends it with a
 * closing event whose `finish_reason` is `cancelled`; with no listener for the grace it is aborted.
 *
 * @example
 * const live = new LiveStream(plan, { streamId, graceMs: 10_000 })
 * void live.run()
 * return listenerResponse(live.log, 0, { pingIntervalMs: 15_000 })
 */
export class LiveStream {
  readonly log: StreamLog
  readonly generation: Generation
  private readonly options: LiveStreamOptions

  constructor(plan: GenerationPlan, options: LiveStreamOptions) {
    this.options = options
    this.log = new StreamLog(options.streamId, {
      graceMs: options.graceMs,
      onDeserted: this.desert,
      maxBytes: options.maxBytes,
      onOverflow: this.overflow,
      onGrow: options.onGrow,
    })
    const { log } = this
    const { record } = options
    record.streaming = true
    record.set({ stream_id: options.streamId })
    this.generation = new Generation(plan, {
      text: (piece) => record.piece(log.append(chunkData(piece))),
      done: (result, attempts) => this.end('done', doneData(record.closing(describeResult(result, attempts)))),
      fail: (error) => this.end('error', this.failure(error, publicErrorMessage(error))),
    })
  }

  /** Reads the upstream to the end (or until stopped). */
  async run(): Promise<void> {
    try {
      while (await this.generation.step()) {}
    } catch (error) {
      this.generation.abort(error)
      this.end('error', this.failure(error, publicErrorMessage(error)))
    }
  }

  /** DELETE: closes the upstream request now; every listener gets the `cancelled` closing event. */
  cancel(): void {
    if (this.log.finished) return
    const generation = this.generation
    generation.abort(new DOMException('The stream was cancelled', 'AbortError'))
    const details = {
      provider: generation.provider,
      model: generation.model,
      finish_reason: 'cancelled',
      attempts: generation.attempts.length,
    }
    this.end('cancelled', doneData(this.options.record.closing(details)))
  }

  /** Nobody listened for the whole grace: stop paying for an answer nobody reads. */
  private readonly desert = (): void => {
    if (this.log.finished) return
    const generation = this.generation
    generation.abort(new DOMException('No client was connected', 'AbortError'))
    const grace =
      this.options.graceMs === 0
        ? 'when the client left'
        : `after no client was connected for ${this.options.graceMs / 1000} s (RESUME_GRACE_MS)`
    const message = `${generation.provider}: the answer was stopped ${grace}. Send the request again.`
    this.end('client_left', errorData(message, { request_id: this.options.record.requestId }))
  }

  /** The log reached MAX_STREAM_BYTES (nobody reads, or the answer runs away): stop reading the upstream. */
  private readonly overflow = (): void => {
    if (this.log.finished) return
    const error = maxStreamBytesError(this.generation.provider, this.options.maxBytes)
    this.generation.abort(error)
    this.end('error', this.failure(error, error.message))
  }

  /** The error event's JSON: the masked public message and the request id; the details go to the log. */
  private failure(error: unknown, message: string): string {
    const { record } = this.options
    return errorData(record.fail(error, message), { request_id: record.requestId })
  }

  private end(outcome: LiveOutcome, data: string): void {
    if (this.log.finished) return
    this.log.finish(data)
    const { record } = this.options
    record.set({ attempts: this.generation.attempts })
    record.finish(outcome, 200)
    this.options.onEnd?.(this.generation, outcome, this.log)
  }
}
