import type { ProviderName } from '../env'
import { missingKeyError } from './errors'
import type { AnswerDecoder, ChatProvider, ChatRequest, FetchFunction } from './types'
import { postStream, type UpstreamFailure } from './upstream'

/** What makes one provider: where its streaming endpoint is, how to ask, how to read the answer. */
export interface FetchProviderSpec {
  name: ProviderName
  /** Undefined: not configured; every request then fails with the error naming the key's binding. */
  apiKey: string | undefined
  defaultModel: string
  fetch?: FetchFunction
  /** Every request's headers (the key's header included). */
  headers: Record<string, string>
  /** The largest upstream event accepted (MAX_UPSTREAM_EVENT_BYTES). */
  maxEventBytes?: number
  url: (model: string) => string
  body: (request: ChatRequest, model: string) => unknown
  parseFailure: (text: string) => UpstreamFailure
  decoder: (model: string, onText: (text: string) => void, maxEventBytes: number) => AnswerDecoder
}

/**
 * A {@link ChatProvider} on the runtime's `fetch`: a JSON POST to the provider's streaming endpoint
 * (no redirects followed), its error body in the provider's words, and its decoder for the answer.
 *
 * @example
 * createFetchProvider({ name: 'openai', apiKey, defaultModel: 'gpt-4.1-mini', headers, url: () => url,
 *   body: openaiBody, parseFailure: parseOpenAIFailure, decoder: openaiDecoder })
 */
export function createFetchProvider(spec: FetchProviderSpec): ChatProvider {
  const fetch = spec.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const maxEventBytes = spec.maxEventBytes ?? 1024 * 1024
  const headers = { ...spec.headers, 'content-type': 'application/json', accept: 'text/event-stream' }
  return {
    name: spec.name,
    defaultModel: spec.defaultModel,
    configured: spec.apiKey !== undefined,
    async open(request, signal) {
      if (spec.apiKey === undefined) throw missingKeyError(spec.name)
      const model = request.model ?? spec.defaultModel
      const body = await postStream({
        provider: spec.name,
        fetch,
        url: spec.url(model),
        headers,
        body: JSON.stringify(spec.body(request, model)),
        signal,
        parseFailure: spec.parseFailure,
      })
      return { body, decoder: (onText) => spec.decoder(model, onText, maxEventBytes) }
    },
  }
}
