import { maskDeep, type Masker } from '../secrets/masker'
import { safeModelName } from '../secrets/model-name'

/** How a request ended, as the log line says it. */
export type Outcome = 'done' | 'rejected' | 'client_left' | (string & {})

/** What a record needs to go on in another isolate (a Durable Object that runs the generation). */
export interface RecordSnapshot {
  requestId: string
  method: string
  fields: Record<string, unknown>
  startedAt: number
}

/** The first upstream request's times, written by the engine. */
export interface UpstreamTiming {
  sentAt: number
  answeredAt: number
}

export interface RecordInit {
  requestId: string
  method: string
  mask: Masker
  logPrompts: boolean
  /** Where the line goes; `console.log` by default. */
  write?: (line: string) => void
  /** Fields read when the line is written, e.g. `{ store: 'unavailable' }` while Redis is down. */
  fieldsAtFinish?: () => Record<string, unknown>
  now?: () => number
}

interface ErrorFields {
  kind: string
  status?: number
  message: string
  cause?: string
}

/** Upstream causes can be long: the log keeps their first characters. */
const MAX_CAUSE = 500
/** An absolute file path (a stack frame, a static root) never reaches a log line. */
const ROOTS = 'home|usr|tmp|var|opt|root|srv|work|app|Users|private|etc|mnt|nix|snap|workspace|builds?'
const FILE_PATH = new RegExp(`(?:file://)?/(?:${ROOTS})/[^\\s'"():]*|[A-Za-z]:\\\\[^\\s'"]+`, 'g')

const scrubPaths = (text: string): string => text.replace(FILE_PATH, '<path>')

/**
 * The record of one request, emitted as ONE JSON log line by {@link RequestRecord.finish}, once:
 * by the request middleware for plain responses, by the stream when it ends, fails or the
 * client leaves. Routes and streams only set fields. Every field is masked on the way out; the
 * user's text is kept only with `LOG_PROMPTS=true`.
 *
 * @example
 * record.set({ provider: 'gemini', model: 'gemini-2.5-flash' })
 * record.piece(42) // a text piece of 42 bytes went out
 * record.finish('done', 200)
 * // {"event":"request","request_id":"…","route":"/api/stream/chat","outcome":"done","pieces":1,"bytes":42,…}
 */
export class RequestRecord {
  readonly requestId: string
  readonly mask: Masker
  private readonly init: RecordInit
  private readonly startedAt: number
  private fields: Record<string, unknown> = {}
  private firstTextAt: number | undefined
  private pieces = 0
  private bytes = 0
  private error: ErrorFields | undefined
  private finished = false
  /** Set by a stream: it, not the middleware, finishes the record. */
  streaming = false
  /** When the first upstream request left and when its answer's headers came (epoch ms; 0: not yet). */
  readonly upstream: UpstreamTiming = { sentAt: 0, answeredAt: 0 }

  constructor(init: RecordInit, snapshot?: RecordSnapshot) {
    this.init = init
    this.requestId = init.requestId
    this.mask = init.mask
    this.startedAt = snapshot?.startedAt ?? (init.now ?? Date.now)()
    if (snapshot) this.fields = { ...snapshot.fields }
  }

  /** The record so far, as JSON, for {@link RequestRecord}'s second constructor argument elsewhere. */
  snapshot(): RecordSnapshot {
    return {
      requestId: this.requestId,
      method: this.init.method,
      fields: { ...this.fields },
      startedAt: this.startedAt,
    }
  }

  /** Sets log fields: route, caller, ip, provider, model, finish_reason, usage… */
  set(fields: Record<string, unknown>): void {
    Object.assign(this.fields, fields)
  }

  /** The user's text, kept only when LOG_PROMPTS=true. */
  prompt(text: string): void {
    if (this.init.logPrompts) this.fields.prompt = text
  }

  /** One text piece of `bytes` bytes went to the client. */
  piece(bytes: number): void {
    if (this.pieces++ === 0) this.firstTextAt = (this.init.now ?? Date.now)()
    this.bytes += bytes
  }

  /** A whole (not streamed) answer of `bytes` bytes went to the client. */
  answered(bytes: number): void {
    this.bytes += bytes
  }

  /**
   * The closing event's fields, made safe: the upstream's model name checked (else the requested
   * model), every string masked, the request id added. Records model, finish reason and usage.
   */
  closing(details: object): object {
    const out: Record<string, unknown> = { ...details }
    if ('model' in out) out.model = safeModelName(out.model, String(this.fields.model ?? ''), this.mask)
    for (const key of ['model', 'finish_reason', 'usage'] as const) if (key in out) this.fields[key] = out[key]
    out.request_id = this.requestId
    return maskDeep(out, this.mask)
  }

  /** Records a failure (kind, upstream status, cause) for the log line; returns the masked public message. */
  fail(error: unknown, publicMessage: string): string {
    const kind = typeof (error as { kind?: unknown })?.kind === 'string' ? (error as { kind: string }).kind : 'internal'
    const status = (error as { status?: unknown })?.status
    const cause = error instanceof Error ? error.cause : undefined
    this.error = {
      kind,
      ...(typeof status === 'number' ? { status } : {}),
      message: scrubPaths(error instanceof Error ? `${error.name}: ${error.message}` : String(error)),
      ...(cause !== undefined
        ? {
            cause: scrubPaths(cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)).slice(
              0,
              MAX_CAUSE,
            ),
          }
        : {}),
    }
    return this.mask(publicMessage)
  }

  /**
   * What the gateway added: `gw`, its own time before the first upstream request (until now when
   * none left), and `upstream`, the wait for that request's answer, in milliseconds.
   */
  timing(now = (this.init.now ?? Date.now)()): { gw: number; upstream?: number } {
    const { sentAt, answeredAt } = this.upstream
    if (sentAt === 0) return { gw: now - this.startedAt }
    return { gw: sentAt - this.startedAt, ...(answeredAt !== 0 ? { upstream: answeredAt - sentAt } : {}) }
  }

  /** The `Server-Timing` header's value for {@link timing}. */
  serverTiming(): string {
    const { gw, upstream } = this.timing()
    return upstream === undefined ? `gw;dur=${gw}` : `gw;dur=${gw}, upstream;dur=${upstream}`
  }

  /**
   * The log line's `gw_ms` and `upstream_ms`, once the first upstream request was answered (else
   * undefined): for a closing event sent after headers that could not carry them.
   */
  answeredTiming(): { gw_ms: number; upstream_ms: number } | undefined {
    const { gw, upstream } = this.timing()
    return upstream === undefined ? undefined : { gw_ms: gw, upstream_ms: upstream }
  }

  private timingFields(): Record<string, number> {
    const { gw, upstream } = this.timing()
    return this.upstream.sentAt === 0 ? {} : { gw_ms: gw, ...(upstream !== undefined ? { upstream_ms: upstream } : {}) }
  }

  /** Emits the log line, once; later calls do nothing. */
  finish(outcome: Outcome, status: number): void {
    if (this.finished) return
    this.finished = true
    const now = (this.init.now ?? Date.now)()
    const line = {
      event: 'request',
      request_id: this.requestId,
      method: this.init.method,
      ...this.fields,
      ...this.init.fieldsAtFinish?.(),
      status,
      outcome: this.error && outcome !== 'client_left' ? this.error.kind : outcome,
      ttft_ms: this.firstTextAt === undefined ? null : this.firstTextAt - this.startedAt,
      ...this.timingFields(),
      duration_ms: now - this.startedAt,
      pieces: this.pieces,
      bytes: this.bytes,
      ...(this.error ? { error: this.error } : {}),
    }
    ;(this.init.write ?? console.log)(JSON.stringify(maskDeep(line, this.mask)))
  }
}
