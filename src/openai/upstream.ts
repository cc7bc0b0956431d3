import type { ProviderName } from '../env'
import { ProviderError, networkError, upstreamStatusError } from '../providers/errors'
import { parseGoogleError } from '../providers/gemini/google-error'
import type { FetchFunction } from '../providers/types'
import { providerErrorResponse } from './errors'

/**
 * The call to a provider and what becomes of its failures. Redirects are not followed
 * (`redirect: 'manual'`): the key goes only to the configured base URL's origin. A non-2xx reply
 * becomes OpenAI's error body with the same status, in the gateway's words (which provider,
 * what happened, what to do) and never with the provider's raw body.
 *
 * @example
 * const response = await send({ provider: 'gemini', url, headers: { 'x-goog-api-key': key }, body, fetch, signal })
 * if (!response.ok) return upstreamFailure('gemini', response)
 */

export interface UpstreamCall {
  provider: ProviderName
  url: string
  headers: Record<string, string>
  body: string
  fetch: FetchFunction
  signal: AbortSignal
}

const BASE_URL_BINDING: Record<ProviderName, string> = { openai: 'OPENAI_BASE_URL', gemini: 'GEMINI_BASE_URL' }

/** Sends the request; a connection failure becomes a {@link ProviderError} (an abort stays an abort). */
export async function send(call: UpstreamCall): Promise<Response> {
  try {
    return await call.fetch(call.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...call.headers },
      body: call.body,
      signal: call.signal,
      redirect: 'manual',
    })
  } catch (error) {
    if (call.signal.aborted) throw call.signal.reason
    throw networkError(call.provider, error)
  }
}

interface Reported {
  message: string
  type?: string
  param?: string | null
  code?: string | null
}

function openaiReported(text: string): Reported {
  try {
    const { error } = JSON.parse(text) as { error?: Record<string, unknown> }
    if (error && typeof error.message === 'string') {
      const string = (value: unknown) => (typeof value === 'string' ? value : null)
      return { message: error.message, type: string(error.type) ?? undefined, param: string(error.param), code: string(error.code) }
    }
  } catch {
    // Not JSON (an HTML page from a proxy, say): the status speaks for itself.
  }
  return { message: '' }
}

function geminiReported(text: string): Reported {
  const error = parseGoogleError(text)
  return { message: error?.message ?? '', code: error?.status?.toLowerCase() ?? null }
}

/** Seconds to wait, from `retry-after` or Gemini's `RetryInfo` (`"retryDelay": "26s"`). */
function retryAfter(response: Response, text: string): Record<string, string> {
  const header = response.headers.get('retry-after')
  if (header) return { 'retry-after': header }
  const delay = /"retryDelay"\s*:\s*"(\d+)(?:\.\d+)?s"/.exec(text)?.[1]
  return delay ? { 'retry-after': delay } : {}
}

/** OpenAI's error reply for a provider's non-2xx (or redirect) reply. */
export async function upstreamFailure(provider: ProviderName, response: Response): Promise<Response> {
  if (response.status < 400) {
    response.body?.cancel().catch(() => {})
    const error = new ProviderError(
      provider,
      'upstream_status',
      `${provider}: the provider answered with a redirect (${response.status}), which the gateway does not follow. Check ${BASE_URL_BINDING[provider]}.`,
    )
    return providerErrorResponse(error)
  }
  const text = await response.text().catch(() => '')
  const reported = provider === 'openai' ? openaiReported(text) : geminiReported(text)
  const error = upstreamStatusError(provider, response.status, reported.message)
  console.error(JSON.stringify({ event: 'openai_api_upstream_error', provider, status: response.status, message: error.message }))
  return providerErrorResponse(error, {
    ...(reported.type ? { type: reported.type } : {}),
    param: reported.param ?? null,
    code: reported.code ?? null,
    headers: retryAfter(response, text),
  })
}
