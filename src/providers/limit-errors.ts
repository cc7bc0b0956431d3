import type { ProviderName } from '../env'
import { BASE_URL_BINDINGS, ProviderError } from './errors'

/**
 * The gateway's own limits on an answer, as errors whose message names the binding that set them:
 * the timeouts (FIRST_TEXT_TIMEOUT_MS, UPSTREAM_IDLE_TIMEOUT_MS, MAX_DURATION_MS) and the size bounds
 * (MAX_UPSTREAM_EVENT_BYTES, MAX_STREAM_BYTES).
 *
 * @example
 * throw idleTimeoutError('gemini', 120_000) // gemini: no data from the provider for 120 s (UPSTREAM_IDLE_TIMEOUT_MS) …
 */

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`

/** Silence between two text pieces (UPSTREAM_IDLE_TIMEOUT_MS). */
export function idleTimeoutError(provider: ProviderName, idleMs: number): ProviderError {
  return new ProviderError(
    provider,
    'timeout',
    `${provider}: no data from the provider for ${seconds(idleMs)} (UPSTREAM_IDLE_TIMEOUT_MS), so the request was stopped. The answer is incomplete; retry later.`,
  )
}

/** No text within FIRST_TEXT_TIMEOUT_MS of the request (retried like a 503). */
export function firstTextTimeoutError(provider: ProviderName, ms: number): ProviderError {
  return new ProviderError(
    provider,
    'first_text_timeout',
    `${provider}: the provider sent no text within ${seconds(ms)} (FIRST_TEXT_TIMEOUT_MS), so the request was stopped. Retry later.`,
  )
}

/** The answer as a whole took longer than MAX_DURATION_MS. */
export function maxDurationError(provider: ProviderName, ms: number): ProviderError {
  return new ProviderError(
    provider,
    'max_duration',
    `${provider}: the answer took longer than ${seconds(ms)} (MAX_DURATION_MS), so the request was stopped. Ask for a shorter answer or retry.`,
  )
}

export function oversizeError(provider: ProviderName, maxBytes: number): ProviderError {
  return new ProviderError(
    provider,
    'oversize',
    `${provider}: the provider sent an event larger than ${maxBytes} bytes (MAX_UPSTREAM_EVENT_BYTES), so the answer was stopped. The answer is incomplete; check that ${BASE_URL_BINDINGS[provider]} points at the real API.`,
  )
}

/** A resumable stream's log reached MAX_STREAM_BYTES: a runaway or hostile upstream, or a client that stopped reading. */
export function maxStreamBytesError(provider: ProviderName, maxBytes: number): ProviderError {
  return new ProviderError(
    provider,
    'max_stream_bytes',
    `${provider}: the answer grew past MAX_STREAM_BYTES (${maxBytes} bytes), so it was stopped. The answer is incomplete; ask for a shorter answer, or raise MAX_STREAM_BYTES if answers this long are expected.`,
  )
}
