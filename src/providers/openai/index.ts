import { createFetchProvider } from '../fetch-provider'
import { tryParseJSON, type UpstreamFailure } from '../upstream'
import type { ChatProvider, FetchFunction } from '../types'
import { openaiDecoder } from './decoder'
import { relayDecoder, wholeBodyDecoder } from './relay'
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
  const body = tryParseJSON(text) as { error?: Record<string, unknown> } | undefined
  const error = body?.error
  if (!error || typeof error.message !== 'string') return { message: text }
  const string = (value: unknown) => (typeof value === 'string' ? value : null)
  return {
    message: error.message,
    reported: {
      ...(string(error.type) ? { type: string(error.type)! } : {}),
      param: string(error.param),
      code: string(error.code),
    },
  }
}

/**
 * The OpenAI provider, on the runtime's `fetch`: chat completions for canonical requests, decoded to
 * parts; a client's own chat completions or Responses body passed through, its answer relayed as it is.
 *
 * @example
 * const openai = createOpenAIProvider({ apiKey: env.OPENAI_API_KEY, model: 'gpt-4.1-mini' })
 * const answer = await openai.open(textRequest('Hi'), 'gpt-4.1-mini', signal)
 */
export function createOpenAIProvider(settings: OpenAIProviderSettings = {}): ChatProvider {
  const base = settings.baseURL ?? 'https://api.openai.com/v1'
  return createFetchProvider({
    name: 'openai',
    apiKey: settings.apiKey,
    defaultModel: settings.model ?? 'gpt-4.1-mini',
    fetch: settings.fetch,
    headers: { ...settings.headers, authorization: `Bearer ${settings.apiKey}` },
    maxEventBytes: settings.maxEventBytes,
    url: (_model, request) => `${base}/${request.passthrough?.api === 'responses' ? 'responses' : 'chat/completions'}`,
    body: openaiBody,
    parseFailure: parseOpenAIFailure,
    decoder(model, sink, maxEventBytes, request) {
      const passthrough = request.passthrough
      if (!passthrough) return openaiDecoder(model, sink, maxEventBytes)
      return passthrough.body.stream === true
        ? relayDecoder(passthrough.api, model, sink, maxEventBytes, passthrough.usageChunk === 'strip')
        : wholeBodyDecoder(passthrough.api, model, sink, maxEventBytes)
    },
  })
}
