import { createFetchProvider } from '../fetch-provider'
import { tryParseJSON, type UpstreamFailure } from '../upstream'
import type { ChatProvider, FetchFunction } from '../types'
import { openaiDecoder } from './decoder'
import { openaiBody } from './request'

export interface OpenAIProviderSettings {
  apiKey?: string
  /** Must include the API version path, e.g. `https://api.openai.com/v1`. */
  baseURL?: string
  model?: string
  fetch?: FetchFunction
  /** Extra headers on every request, e.g. `cf-aig-authorization` for an authenticated AI Gateway. */
  headers?: Record<string, string>
  /** The largest upstream event accepted (MAX_UPSTREAM_EVENT_BYTES). */
  maxEventBytes?: number
}

/** OpenAI's error body `{"error": {"message", …}}`, or the raw text of a non-JSON one. */
export function parseOpenAIFailure(text: string): UpstreamFailure {
  const body = tryParseJSON(text) as { error?: { message?: unknown } } | undefined
  const message = body?.error?.message
  return { message: typeof message === 'string' ? message : text }
}

/**
 * The OpenAI chat completions provider, on the runtime's `fetch`.
 *
 * @example
 * const openai = createOpenAIProvider({ apiKey: env.OPENAI_API_KEY, model: 'gpt-4.1-mini' })
 * const answer = await openai.open({ prompt: 'Hi' }, signal)
 */
export function createOpenAIProvider(settings: OpenAIProviderSettings = {}): ChatProvider {
  const url = `${settings.baseURL ?? 'https://api.openai.com/v1'}/chat/completions`
  return createFetchProvider({
    name: 'openai',
    apiKey: settings.apiKey,
    defaultModel: settings.model ?? 'gpt-4.1-mini',
    fetch: settings.fetch,
    headers: { ...settings.headers, authorization: `Bearer ${settings.apiKey}` },
    maxEventBytes: settings.maxEventBytes,
    url: () => url,
    body: openaiBody,
    parseFailure: parseOpenAIFailure,
    decoder: openaiDecoder,
  })
}
