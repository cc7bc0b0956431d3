import type { PartSink } from '../canonical/parts'
import type { CanonicalRequest } from '../canonical/request'
import type { ProviderName } from '../env'
import { missingKeyError } from './errors'
import type { AnswerDecoder, ChatProvider, FetchFunction } from './types'
import { postStream, type UpstreamFailure } from './upstream'

/** What makes one provider: where to ask, how, and how to read the answer. */
export interface FetchProviderSpec {
  name: ProviderName
  /** Undefined: not configured; every request then fails with the error naming the key's binding. */
  apiKey: string | undefined
  defaultModel: string
  fetch?: FetchFunction
  /** Every request's headers (the key's header included). */
  headers: Record<string, string>
  /** The largest upstream event (or whole body) accepted (MAX_UPSTREAM_EVENT_BYTES). */
  maxEventBytes?: number
  url: (model: string, request: CanonicalRequest) => string
  body: (request: CanonicalRequest, model: string) => unknown
  parseFailure: (text: string) => UpstreamFailure
  decoder: (model: string, sink: PartSink, maxEventBytes: number, request: CanonicalRequest) => AnswerDecoder
}

/**
 * A {@link ChatProvider} on the runtime's `fetch`: a JSON POST (no redirects followed), its error body
 * in the provider's words, and its decoder for the answer.
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
    async open(request, model, signal) {
      if (spec.apiKey === undefined) throw missingKeyError(spec.name)
      const body = await postStream({
        provider: spec.name,
        fetch,
        url: spec.url(model, request),
        headers,
        body: JSON.stringify(spec.body(request, model)),
        signal,
        parseFailure: spec.parseFailure,
      })
      return { body, decoder: (sink) => spec.decoder(model, sink, maxEventBytes, request) }
    },
  }
}
