import { missingKeyError } from '../errors'
import { postStream, tryParseJSON, type UpstreamFailure } from '../upstream'
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
  const defaultModel = settings.model ?? 'gpt-4.1-mini'
  const url = `${settings.baseURL ?? 'https://api.openai.com/v1'}/chat/completions`
  const fetch = settings.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const maxEventBytes = settings.maxEventBytes ?? 1024 * 1024
  const headers = {
    ...settings.headers,
    authorization: `Bearer ${settings.apiKey}`,
    'content-type': 'application/json',
    accept: 'text/event-stream',
  }
  return {
    name: 'openai',
    defaultModel,
    configured: settings.apiKey !== undefined,
    async open(request, signal) {
      if (settings.apiKey === undefined) throw missingKeyError('openai')
      const model = request.model ?? defaultModel
      const body = await postStream({
        provider: 'openai',
        fetch,
        url,
        headers,
        body: JSON.stringify(openaiBody(request, model)),
        signal,
        parseFailure: parseOpenAIFailure,
      })
      return { body, decoder: (onText) => openaiDecoder(model, onText, maxEventBytes) }
    },
  }
}
