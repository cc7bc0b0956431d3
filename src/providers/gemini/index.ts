import { createFetchProvider } from '../fetch-provider'
import { tryParseJSON, type UpstreamFailure } from '../upstream'
import type { ChatProvider, FetchFunction } from '../types'
import { geminiDecoder } from './decoder'
import { parseGoogleError } from './google-error'
import { geminiBody } from './request'

export interface GeminiProviderSettings {
  apiKey?: string
  /** Without the version path, e.g. `https://generativelanguage.googleapis.com`. */
  baseURL?: string
  /** `v1beta` (default) or `v1`. */
  apiVersion?: string
  model?: string
  fetch?: FetchFunction
  /** Extra headers on every request, e.g. `cf-aig-authorization` for an authenticated AI Gateway. */
  headers?: Record<string, string>
  /** The largest upstream event accepted (MAX_UPSTREAM_EVENT_BYTES). */
  maxEventBytes?: number
}

interface RetryInfo {
  '@type'?: string
  retryDelay?: string
}

/** Google's error body, with the wait that its `RetryInfo` detail asks for. */
export function parseGeminiFailure(text: string): UpstreamFailure {
  const found = parseGoogleError(text)
  if (!found) return { message: text }
  const details = (tryParseJSON(text) as { error?: { details?: RetryInfo[] } } | undefined)?.error?.details
  const delay = details?.find((detail) => detail['@type']?.endsWith('google.rpc.RetryInfo'))?.retryDelay
  const seconds = delay ? Number.parseFloat(delay) : Number.NaN
  return {
    message: found.message,
    code: found.code,
    reported: { param: null, code: found.status?.toLowerCase() ?? null },
    ...(Number.isFinite(seconds) ? { retryAfterMs: seconds * 1000 } : {}),
  }
}

/**
 * The Gemini provider (`streamGenerateContent?alt=sse`, key in `x-goog-api-key`), on the runtime's `fetch`.
 *
 * @example
 * const gemini = createGeminiProvider({ apiKey: env.GEMINI_API_KEY, model: 'gemini-2.5-flash' })
 * const answer = await gemini.open(textRequest('Hi'), 'gemini-2.5-flash', signal)
 */
export function createGeminiProvider(settings: GeminiProviderSettings = {}): ChatProvider {
  const base = `${settings.baseURL ?? 'https://generativelanguage.googleapis.com'}/${settings.apiVersion ?? 'v1beta'}`
  return createFetchProvider({
    name: 'gemini',
    apiKey: settings.apiKey,
    defaultModel: settings.model ?? 'gemini-2.5-flash',
    fetch: settings.fetch,
    headers: { ...settings.headers, 'x-goog-api-key': settings.apiKey ?? '' },
    maxEventBytes: settings.maxEventBytes,
    url: (model) => `${base}/models/${encodeURIComponent(model)}:streamGenerateContent?alt=sse`,
    body: geminiBody,
    parseFailure: parseGeminiFailure,
    decoder: geminiDecoder,
  })
}
