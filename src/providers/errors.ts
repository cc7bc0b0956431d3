import type { ProviderName } from '../env'

/** What went wrong, coarse enough for a client to act on. */
export type ProviderErrorKind =
  | 'not_configured'
  | 'upstream_status'
  | 'upstream_stream_error'
  | 'network'
  | 'malformed'
  | 'truncated'
  | 'timeout'
  | 'first_text_timeout'
  | 'max_duration'
  | 'blocked'
  | 'redirect'
  | 'oversize'
  | 'max_stream_bytes'
  | 'abandoned'
  | 'cancelled'

/**
 * A provider failure whose `message` is safe to send to clients: it names the
 * provider, says what happened and what to do, and never holds a key or a stack.
 * The raw upstream details go to the log through `cause`.
 *
 * @example
 * throw new ProviderError('openai', 'upstream_status', 'openai: invalid API key (401). Check OPENAI_API_KEY.', { status: 401 })
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError'
  readonly provider: ProviderName
  readonly kind: ProviderErrorKind
  /** The upstream HTTP status, when there was one. */
  readonly status: number | undefined
  /** How long the provider asked us to wait before retrying (`Retry-After`, Gemini's `RetryInfo`). */
  readonly retryAfterMs: number | undefined
  /** The provider's own error fields, kept for OpenAI-shaped replies (`type`, `param`, `code`). */
  readonly reported: ReportedFields | undefined
  /** The provider refused the gateway's own key (the operator's secret, not the client's request). */
  readonly keyRejected: boolean

  constructor(
    provider: ProviderName,
    kind: ProviderErrorKind,
    message: string,
    options: {
      status?: number
      cause?: unknown
      retryAfterMs?: number
      reported?: ReportedFields
      keyRejected?: boolean
    } = {},
  ) {
    super(message, { cause: options.cause })
    this.keyRejected = options.keyRejected ?? false
    this.provider = provider
    this.kind = kind
    this.status = options.status
    this.retryAfterMs = options.retryAfterMs
    this.reported = options.reported
  }
}

/** What a provider's error body says besides its message, in OpenAI's terms. */
export interface ReportedFields {
  type?: string
  param?: string | null
  code?: string | null
}

export const KEY_BINDINGS: Record<ProviderName, string> = { openai: 'OPENAI_API_KEY', gemini: 'GEMINI_API_KEY' }
export const BASE_URL_BINDINGS: Record<ProviderName, string> = { openai: 'OPENAI_BASE_URL', gemini: 'GEMINI_BASE_URL' }
export const MODEL_BINDINGS: Record<ProviderName, string> = { openai: 'OPENAI_MODEL', gemini: 'GEMINI_MODEL' }

export function missingKeyError(provider: ProviderName): ProviderError {
  const binding = KEY_BINDINGS[provider]
  return new ProviderError(
    provider,
    'not_configured',
    `${provider}: no API key configured. Set the ${binding} secret (wrangler secret put ${binding}, or ${binding}=… in .dev.vars or the environment).`,
  )
}

/** Masks anything that looks like an API key and keeps the message to one short line. */
export function sanitizeUpstreamMessage(message: string): string {
  if (/<(!doctype|html|body)\b/i.test(message)) return 'the provider answered with an HTML error page'
  return message
    .replace(/\b(sk-[A-Za-z0-9_*.-]{3})[A-Za-z0-9_*.-]*/g, '$1…')
    .replace(/\bAIza[0-9A-Za-z_-]{10,}/g, 'AIza…')
    .replace(/\s+/g, ' ')
    .slice(0, 400)
    .replace(/[\s.]+$/, '')
    .trim()
}

/** What to do about an upstream HTTP status, in words a user can act on. */
function advice(provider: ProviderName, status: number, message: string): { what: string; todo: string; key?: true } {
  const key = KEY_BINDINGS[provider]
  if (status === 401 || /api key not valid|api_key_invalid|incorrect api key/i.test(message)) {
    return { what: 'invalid API key', todo: `Check the ${key} secret.`, key: true }
  }
  switch (status) {
    case 400:
      return { what: 'request rejected', todo: 'Check the model name and the request parameters.' }
    case 403:
      return {
        what: 'access denied',
        todo: `Check that ${key} is valid and allowed to use this API and model.`,
        key: true,
      }
    case 404:
      return {
        what: 'model or endpoint not found',
        todo: `Use a valid model name (request "model" or ${MODEL_BINDINGS[provider]}) and check ${BASE_URL_BINDINGS[provider]}.`,
      }
    case 408:
      return { what: 'request timed out', todo: 'Retry the request.' }
    case 413:
      return { what: 'request too large', todo: 'Send a shorter conversation.' }
    case 429:
      return {
        what: 'rate limit or quota exceeded',
        todo: 'Wait a little and retry, or check the plan and billing of the account.',
      }
    case 503:
      return { what: 'service unavailable or overloaded', todo: 'Retry in a few seconds.' }
    default:
      return status >= 500
        ? { what: 'server error', todo: 'Retry later.' }
        : { what: 'request failed', todo: 'Check the request and the provider settings.' }
  }
}

/**
 * The error for a non-2xx upstream reply, or for an error object sent inside a 200 stream
 * (`midStream`, where the status may be unknown). The client's message names the provider, the
 * status, what happened and what to do; the provider's own words (which may carry the operator's
 * account details) go to the log line only, as the error's cause.
 */
export function upstreamStatusError(
  provider: ProviderName,
  status: number | undefined,
  upstreamMessage: string,
  options: { midStream?: boolean; cause?: unknown; retryAfterMs?: number; reported?: ReportedFields } = {},
): ProviderError {
  const clean = sanitizeUpstreamMessage(upstreamMessage)
  const { what, todo, key } = advice(provider, status ?? 500, clean)
  const message = options.midStream
    ? `${provider}: the provider reported an error during the answer (${status ? `${status}, ${what}` : 'no status'}). The answer is incomplete. ${todo}`
    : `${provider}: ${what} (HTTP ${status}). ${todo}`
  const cause = [options.cause, clean].filter(Boolean).join(': ')
  return new ProviderError(provider, options.midStream ? 'upstream_stream_error' : 'upstream_status', message, {
    status,
    ...(cause ? { cause } : {}),
    retryAfterMs: options.retryAfterMs,
    reported: options.reported,
    keyRejected: key === true,
  })
}

export function networkError(provider: ProviderName, cause: unknown): ProviderError {
  return new ProviderError(
    provider,
    'network',
    `${provider}: could not reach the provider or the connection failed. Check ${BASE_URL_BINDINGS[provider]} and retry.`,
    { cause },
  )
}

export function truncatedError(provider: ProviderName, cause?: unknown): ProviderError {
  return new ProviderError(
    provider,
    'truncated',
    `${provider}: the connection to the provider closed before the answer was complete. The answer is incomplete; retry.`,
    { cause },
  )
}

export function malformedError(provider: ProviderName, cause?: unknown): ProviderError {
  return new ProviderError(
    provider,
    'malformed',
    `${provider}: the provider sent data that is not a valid stream. The answer is incomplete; retry, and check that ${BASE_URL_BINDINGS[provider]} points at the real API.`,
    { cause },
  )
}

export function redirectError(provider: ProviderName, status: number): ProviderError {
  const binding = BASE_URL_BINDINGS[provider]
  return new ProviderError(
    provider,
    'redirect',
    `${provider}: the provider answered with a redirect (HTTP ${status || 'redirect'}), which the gateway does not follow so that the API key only goes to ${binding}. Check ${binding}: it must be the API's own address.`,
    { status: status || undefined },
  )
}

/** A 2xx answer with nothing in it (no body, or one that ended before its first byte). */
export function emptyBodyError(provider: ProviderName, status?: number): ProviderError {
  return new ProviderError(provider, 'malformed', `${provider}: the provider answered with an empty body. Retry.`, {
    status,
  })
}
