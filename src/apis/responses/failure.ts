import { describeFailure, openAIError, providerErrorResponse, typeFor } from '../../openai/errors'
import { ProviderError } from '../../providers/errors'

/**
 * A failure in the Responses API's terms: the JSON error reply while nothing was sent, and after
 * the stream began the `error` event (nested, as OpenAI sends it) and the `error` of the failed
 * Response, whose `code` is from OpenAI's list so that clients such as Codex classify it
 * (`rate_limit_exceeded` is retried after a delay, `server_error` at once).
 *
 * @example
 * failureOf(new ProviderError('gemini', 'upstream_status', 'gemini: rate limit…', { status: 429 }))
 * // { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded', message: 'gemini: rate limit…' }
 */

export interface Failure {
  status: number
  type: string
  code: string
  message: string
}

export function failureOf(error: unknown): Failure {
  const { message } = describeFailure(error)
  const status =
    error instanceof ProviderError && error.status !== undefined && error.status >= 400 ? error.status : 500
  return { status, type: typeFor(status), code: status === 429 ? 'rate_limit_exceeded' : 'server_error', message }
}

/** The `data` of the `error` event that precedes `response.failed`. */
export function errorEventData(failure: Failure): Record<string, unknown> {
  return { error: { type: failure.type, code: failure.code, message: failure.message, param: null } }
}

/** The HTTP error reply for a failure before the first event, with the provider's status. */
export function failedResponse(error: unknown): Response {
  if (error instanceof ProviderError) return providerErrorResponse(error)
  const { message, code } = describeFailure(error)
  return openAIError(500, message, { code })
}
