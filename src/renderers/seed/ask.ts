import { type AnswerResult, IGNORE_PARTS } from '../../canonical/parts'
import type { WholeRenderer } from '../../canonical/renderer'
import type { RequestRecord } from '../../observability/request-record'
import { failureStatus } from '../../providers/failure-status'
import { blockedEnd, describeResult, publicErrorMessage } from './closing'

const JSON_HEADERS = { 'content-type': 'application/json' }

/**
 * `POST /api/flows/ask`: the whole answer as `{"response":"…","provider",…}`, or the failure as
 * `{"error":"…","request_id"}` with the status of {@link failureStatus}.
 *
 * @example
 * const renderer = createAskRenderer(record)
 * await runToEnd(new Generation(plan, renderer))
 * return renderer.response()
 */
export function createAskRenderer(record: RequestRecord): WholeRenderer {
  const pieces: string[] = []
  let written = 0
  let reply: Response | undefined
  const fail = (error: unknown): void => {
    const body = { error: record.fail(error, publicErrorMessage(error)), request_id: record.requestId }
    reply = new Response(JSON.stringify(body), { status: failureStatus(error), headers: JSON_HEADERS })
  }
  return {
    ...IGNORE_PARTS,
    get written() {
      return written
    },
    text(delta) {
      written++
      pieces.push(delta)
    },
    done(result: AnswerResult, attempts, extra) {
      const blocked = blockedEnd(result)
      if (blocked) return fail(blocked)
      const response = pieces.join('')
      const { request_id: _id, ...safe } = record.closing({ ...describeResult(result, attempts), ...extra }) as Record<
        string,
        unknown
      >
      const text = JSON.stringify({ response, ...safe })
      record.answered(new TextEncoder().encode(response).byteLength)
      reply = new Response(text, { status: 200, headers: JSON_HEADERS })
    },
    fail,
    cancelled() {
      fail(new DOMException('The answer was stopped', 'AbortError'))
    },
    response() {
      return (
        reply ??
        new Response(JSON.stringify({ error: 'gateway: the answer was stopped.', request_id: record.requestId }), {
          status: 499,
          headers: JSON_HEADERS,
        })
      )
    },
  }
}
