import { ProviderError } from './errors'

/**
 * The HTTP status a client gets for a failure that came before any output, one table for every API:
 * the provider's own status for what the request itself caused (400, 404, 413, 429, 5xx), 502 when
 * the provider refused the gateway's key (401, 403: the operator's secret, not the client's), 503 for
 * a provider with no key, 504 for the gateway's timeouts, 502 for anything else upstream.
 *
 * @example
 * failureStatus(upstreamStatusError('openai', 401, 'Incorrect API key')) // 502
 */
export function failureStatus(error: unknown): number {
  if (!(error instanceof ProviderError)) return 502
  switch (error.kind) {
    case 'not_configured':
      return 503
    case 'timeout':
    case 'first_text_timeout':
    case 'max_duration':
      return 504
    case 'blocked':
      return 400
  }
  const status = error.status
  if (error.keyRejected || status === undefined || status < 400 || status > 599) return 502
  return status
}

/** Whether a client should send the same request again (a key problem or a missing key will not heal). */
export function worthRetrying(error: unknown): boolean {
  if (!(error instanceof ProviderError)) return true
  if (error.kind === 'not_configured' || error.kind === 'blocked' || error.keyRejected) return false
  const status = error.status ?? 0
  return status === 408 || status === 429 || status >= 500
}
