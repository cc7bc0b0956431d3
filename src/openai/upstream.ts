import type { ProviderName } from '../env'
import { ProviderError, networkError, redirectError, upstreamStatusError } from '../providers/errors'
import { parseGoogleError } from '../providers/gemini/google-error'
import type { FetchFunction } from '../providers/types'
import { readCapped, retryAfterHeader } from '../providers/upstream'
import { providerErrorResponse, type OpenAIErrorFields } from './errors'

/**
 * The call to a provider and what becomes of its failures. Redirects are not followed
 * (`redirect: 'manual'`): the key goes only to the configured base URL's origin. A non-2xx reply
 * becomes OpenAI's error body with the same status, in the gateway's words (which provider,
 * what happened, what to do) and never with the provider's raw body; until the retries are spent
 * it travels as a {@link ReportedError}, whose status and `retryAfterMs` decide the retry.
 *
 * @example
 * const response = await send({ provider: 'gemini', url, headers: { 'x-goog-api-key': key }, body, fetch, signal })
 * if (!response.ok) throw await upstreamFailure('gemini', response, signal)
 */

export interface UpstreamCall {
  provider: ProviderName
  url: string
  headers: Record<string, string>
  body: string
  fetch: FetchFunction
  signal: AbortSignal
}

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
      return {
        message: error.message,
        type: string(error.type) ?? undefined,
        param: string(error.param),
        code: string(error.code),
      }
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

/** A provider's error reply: the failure, plus what OpenAI's error body and headers keep of it. */
export class ReportedError extends ProviderError {
  readonly reply: OpenAIErrorFields & { headers: Record<string, string> }

  constructor(error: ProviderError, reply: ReportedError['reply']) {
    super(error.provider, error.kind, error.message, {
      status: error.status,
      cause: error.cause,
      retryAfterMs: error.retryAfterMs,
    })
    this.reply = reply
  }
}

/** OpenAI's error reply for a failure before the first chunk, a provider's reported fields kept. */
export function failureResponse(error: ProviderError, message: string = error.message): Response {
  return providerErrorResponse(error, error instanceof ReportedError ? { ...error.reply, message } : { message })
}

/** The failure for a provider's non-2xx (or redirect) reply, to throw. */
export async function upstreamFailure(
  provider: ProviderName,
  response: Response,
  signal: AbortSignal,
): Promise<ProviderError> {
  if (response.status < 400) {
    response.body?.cancel().catch(() => {})
    return redirectError(provider, response.status)
  }
  // Bounded: a hostile upstream cannot fill memory with an error body.
  const text = await readCapped(response, signal, provider).catch(() => '')
  const reported = provider === 'openai' ? openaiReported(text) : geminiReported(text)
  const headers = retryAfter(response, text)
  const retryAfterMs =
    retryAfterHeader(response.headers) ?? (headers['retry-after'] ? Number(headers['retry-after']) * 1000 : undefined)
  const error = upstreamStatusError(provider, response.status, reported.message, {
    cause: `HTTP ${response.status}`,
    retryAfterMs,
  })
  return new ReportedError(error, {
    ...(reported.type ? { type: reported.type } : {}),
    param: reported.param ?? null,
    code: reported.code ?? null,
    headers,
  })
}
