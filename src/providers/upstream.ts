import type { ProviderName } from '../env'
import { emptyBodyError, networkError, redirectError, upstreamStatusError, type ReportedFields } from './errors'
import type { FetchFunction } from './types'

/** What a provider makes of a non-2xx body: the provider's own words, and how long it asks us to wait. */
export interface UpstreamFailure {
  message: string
  code?: number
  retryAfterMs?: number
  /** The provider's own `type`, `param` and `code`, kept for OpenAI-shaped replies. */
  reported?: ReportedFields
}

export interface PostOptions {
  provider: ProviderName
  fetch: FetchFunction
  url: string
  headers: Record<string, string>
  body: string
  signal: AbortSignal
  /** Reads a provider's error body. */
  parseFailure: (text: string) => UpstreamFailure
}

/** Error bodies are short; anything past this is not read (a hostile upstream cannot fill memory). */
const MAX_ERROR_BODY = 64 * 1024

/**
 * POSTs a JSON request upstream and returns the streaming body of a 2xx answer. Redirects are
 * never followed, so the key goes only to the configured base URL's origin.
 *
 * @example
 * const body = await postStream({ provider: 'openai', fetch, url, headers, body, signal, parseFailure })
 */
export async function postStream(options: PostOptions): Promise<ReadableStream<Uint8Array>> {
  const { provider, signal } = options
  let response: Response
  try {
    response = await options.fetch(options.url, {
      method: 'POST',
      headers: options.headers,
      body: options.body,
      signal,
      redirect: 'manual',
    })
  } catch (error) {
    if (signal.aborted) throw signal.reason
    throw networkError(provider, error)
  }
  if (response.ok && response.body) return response.body
  // `redirect: 'manual'` gives the 3xx itself (workerd, Bun, Node) or an opaque redirect (browsers).
  if ((response.status >= 300 && response.status < 400) || (response.type as string) === 'opaqueredirect') {
    await response.body?.cancel()
    throw redirectError(provider, response.status)
  }
  if (response.ok) throw emptyBodyError(provider, response.status)
  const text = await readCapped(response, signal, provider)
  const failure = options.parseFailure(text)
  const retryAfterMs = retryAfterHeader(response.headers) ?? failure.retryAfterMs
  return Promise.reject(
    upstreamStatusError(provider, failure.code ?? response.status, failure.message, {
      cause: `HTTP ${response.status}`,
      retryAfterMs,
      reported: failure.reported,
    }),
  )
}

/** A non-2xx body as text, at most {@link MAX_ERROR_BODY} characters of it (the rest is not read). */
export async function readCapped(response: Response, signal: AbortSignal, provider: ProviderName): Promise<string> {
  if (!response.body) return ''
  const reader = response.body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  try {
    while (text.length < MAX_ERROR_BODY) {
      const { value, done } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
    }
  } catch (error) {
    if (signal.aborted) throw signal.reason
    throw networkError(provider, error)
  } finally {
    reader.cancel().catch(() => {})
  }
  return text + decoder.decode()
}

/** `retry-after-ms` (OpenAI) or `Retry-After` in seconds or as an HTTP date. */
export function retryAfterHeader(headers: Headers): number | undefined {
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '')
  if (Number.isFinite(ms) && ms >= 0) return ms
  const value = headers.get('retry-after')
  if (!value) return undefined
  const seconds = Number.parseFloat(value)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const date = Date.parse(value)
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined
}

/** Parses JSON, or undefined. */
export function tryParseJSON(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
