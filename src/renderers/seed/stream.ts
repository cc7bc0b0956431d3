import type { AnswerResult } from '../../canonical/parts'
import type { EventWriter, Renderer } from '../../canonical/renderer'
import type { RequestRecord } from '../../observability/request-record'
import { doneData, errorData } from '../../sse'
import { blockedEnd, describeResult, publicErrorMessage } from './closing'

/**
 * The gateway's own event stream: `data: {"chunk":"…","done":false}` for each text piece, then
 * `{"chunk":"","done":true,…}` or `{"error":"…","done":true}`. Reasoning and tool calls are not part
 * of this API; a blocked prompt or a safety stop ends it with an error event. The headers left before
 * the upstream answered, so the last event carries what their Server-Timing could not: `timing`, the
 * log line's `gw_ms` and `upstream_ms`, once the upstream answered. A class, so that a thousand open
 * streams share its methods instead of holding a closure each.
 *
 * @example
 * const renderer = createSeedRenderer(writer, record)
 * renderer.text('Hi') // writer.event('data: {"chunk":"Hi","done":false}\n\n')
 */
class SeedRenderer implements Renderer {
  written = 0
  private readonly writer: EventWriter
  private readonly record: RequestRecord

  constructor(writer: EventWriter, record: RequestRecord) {
    this.writer = writer
    this.record = record
  }

  text(delta: string): void {
    this.written++
    this.record.piece(this.writer.event(`data: {"chunk":${JSON.stringify(delta)},"done":false}\n\n`))
  }

  reasoning(): void {}
  toolCallStart(): void {}
  toolCallDelta(): void {}
  toolCallEnd(): void {}
  raw(): void {}

  done(result: AnswerResult, attempts: number, extra?: Record<string, unknown>): void {
    const blocked = blockedEnd(result)
    if (blocked) return this.fail(blocked)
    this.written++
    const details = this.record.closing({ ...describeResult(result, attempts), ...extra, ...this.timing() })
    this.writer.event(`data: ${doneData(details)}\n\n`)
  }

  fail(error: unknown): void {
    this.written++
    const message = this.record.fail(error, publicErrorMessage(error))
    this.writer.event(`data: ${errorData(message, { ...this.timing(), request_id: this.record.requestId })}\n\n`)
  }

  cancelled({ provider, model, attempts }: { provider: string; model: string; attempts: number }): void {
    this.written++
    const details = this.record.closing({ provider, model, finish_reason: 'cancelled', attempts, ...this.timing() })
    this.writer.event(`data: ${doneData(details)}\n\n`)
  }

  /** `{ timing: { gw_ms, upstream_ms } }` once the upstream answered, computed once, at the end. */
  private timing(): { timing?: { gw_ms: number; upstream_ms: number } } {
    const timing = this.record.answeredTiming()
    return timing ? { timing } : {}
  }
}

export function createSeedRenderer(writer: EventWriter, record: RequestRecord): Renderer {
  return new SeedRenderer(writer, record)
}
