import type { RequestRecord } from '../../observability/request-record'
import { failureStatus } from '../../providers/failure-status'
import { describeFailure, providerErrorResponse, typeFor } from '../chat/errors'

/**
 * A failure in the Responses API's terms: the JSON error reply while nothing was sent, and after
 * the stream began the `error` event (nested, as OpenAI sends it) and the `error` of the failed
 * Response, whose `code` is from OpenAI's list so that clients such as Codex classify it
 * (`rate_limit_exceeded` is retried after a delay, `server_error` at once). The message is the
 * request record's masked copy; the record keeps the failure for the log line.
 *
 * @example
 * failureOf(new ProviderError('gemini', 'upstream_status', 'gemini: rate limit…', { status: 429 }), record)
 * // { type: 'rate_limit_error', code: 'rate_limit_exceeded', message: 'gemini: rate limit…' }
 */

export interface Failure {
  type: string
  code: string
  message: string
}

export function failureOf(error: unknown, record: RequestRecord): Failure {
  const status = failureStatus(error)
  const message = record.fail(error, describeFailure(error).message)
  return { type: typeFor(status), code: status === 429 ? 'rate_limit_exceeded' : 'server_error', message }
}

/** The `data` of the `error` event that precedes `response.failed`. */
export function errorEventData(failure: Failure): Record<string, unknown> {
  return { error: { type: failure.type, code: failure.code, message: failure.message, param: null } }
}

/** The HTTP error reply for a failure before the first event, with the provider's status. */
export function failedResponse(error: unknown, record: RequestRecord): Response {
  return providerErrorResponse(error, { message: record.fail(error, describeFailure(error).message) })
}
