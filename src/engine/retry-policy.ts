import { ProviderError } from '../providers/errors'

/** The longest `Retry-After` (or Gemini `RetryInfo`) we wait for; a longer one fails at once. */
export const MAX_RETRY_AFTER_MS = 10_000
/** The first backoff; each retry doubles it, with jitter. */
export const BASE_BACKOFF_MS = 250

/** Whether a failure before the first text is worth the same request again (429, 5xx, network, no first text). */
export function isRetryable(error: unknown): error is ProviderError {
  if (!(error instanceof ProviderError)) return false
  switch (error.kind) {
    case 'network':
    case 'truncated':
    case 'first_text_timeout':
      return true
    case 'upstream_status':
      return error.status === 429 || (error.status ?? 0) >= 500
    case 'upstream_stream_error':
      return error.status === undefined || error.status === 429 || error.status >= 500
    default:
      return false
  }
}

/**
 * How long to wait before retry number `retry` (0-based), or undefined when the failure is not to be
 * retried: the provider's own `Retry-After` when it is short enough, else exponential backoff with jitter.
 *
 * @example
 * retryDelay(upstreamStatusError('gemini', 503, 'Overloaded'), 1) // between 250 and 500
 */
export function retryDelay(error: unknown, retry: number): number | undefined {
  if (!isRetryable(error)) return undefined
  if (error.retryAfterMs !== undefined) return error.retryAfterMs <= MAX_RETRY_AFTER_MS ? error.retryAfterMs : undefined
  const ceiling = BASE_BACKOFF_MS * 2 ** retry
  return ceiling / 2 + Math.random() * (ceiling / 2)
}

/**
 * Whether another provider may answer instead: any failure before the first text but a blocked
 * prompt (another provider must not be used to get around a safety filter), a rejected request (400)
 * and the total time limit (MAX_DURATION_MS bounds the whole answer, fallbacks included).
 */
export function canFallBack(error: unknown): boolean {
  if (!(error instanceof ProviderError)) return false
  return error.kind !== 'blocked' && error.kind !== 'max_duration' && error.status !== 400
}
