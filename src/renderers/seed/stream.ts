import { type AnswerResult, IGNORE_PARTS } from '../../canonical/parts'
import type { EventWriter, Renderer } from '../../canonical/renderer'
import type { RequestRecord } from '../../observability/request-record'
import { doneData, errorData } from '../../sse'
import { blockedEnd, describeResult, publicErrorMessage } from './closing'

/**
 * The gateway's own event stream: `data: {"chunk":"…","done":false}` for each text piece, then
 * `{"chunk":"","done":true,…}` or `{"error":"…","done":true}`. Reasoning and tool calls are not part
 * of this API; a blocked prompt or a safety stop ends it with an error event.
 *
 * @example
 * const renderer = createSeedRenderer(writer, record)
 * renderer.text('Hi') // writer.event('data: {"chunk":"Hi","done":false}\n\n')
 */
export function createSeedRenderer(writer: EventWriter, record: RequestRecord): Renderer {
  let written = 0
  const fail = (error: unknown): void => {
    written++
    writer.event(
      `data: ${errorData(record.fail(error, publicErrorMessage(error)), { request_id: record.requestId })}\n\n`,
    )
  }
  return {
    ...IGNORE_PARTS,
    get written() {
      return written
    },
    text(delta) {
      written++
      record.piece(writer.event(`data: {"chunk":${JSON.stringify(delta)},"done":false}\n\n`))
    },
    done(result: AnswerResult, attempts, extra) {
      const blocked = blockedEnd(result)
      if (blocked) return fail(blocked)
      written++
      writer.event(`data: ${doneData(record.closing({ ...describeResult(result, attempts), ...extra }))}\n\n`)
    },
    fail,
    cancelled({ provider, model, attempts }) {
      written++
      writer.event(`data: ${doneData(record.closing({ provider, model, finish_reason: 'cancelled', attempts }))}\n\n`)
    },
  }
}
