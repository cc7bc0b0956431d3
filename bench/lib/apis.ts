/**
 * The public APIs the bench measures, one entry each (`--apis api,v1,responses`): the route, which contenders
 * answer it, the request they are sent and the provider request the gateway makes upstream for it,
 * which is what the floor (`passthrough`) and `direct` are sent. Each API gets its own rows, with its
 * own floor. Another API is another entry here, plus a reader in wire.ts if its format is new.
 *
 * @example
 * const ex = exchangeFor('v1', 'gateway')('gemini', 'Hi') // POST /v1/chat/completions, read as `chat`
 */
import type { Exchange } from './wire.ts'

export type Provider = 'openai' | 'gemini'
/**
 * `gateway`, `lean`, `ai-sdk`: the API under test. `portkey`: its OpenAI-compatible
 * POST /v1/chat/completions (its own request). `passthrough` and `direct`: the provider's own request.
 */
export type TargetKind = 'gateway' | 'lean' | 'ai-sdk' | 'portkey' | 'passthrough' | 'direct'
export type ApiId = 'api' | 'v1' | 'responses'

export interface ApiSpec {
  /** The route, for the tables. */
  route: string
  /** A line under the table's heading: what the rows measure. */
  about: string
  /** The contenders with rows for this API (the floor always among them). */
  contenders: readonly TargetKind[]
  /** What `gateway`, `lean` and `ai-sdk` are sent. */
  request(provider: Provider, prompt: string): Exchange
  /** The provider request the gateway sends upstream for `request`: what the floor and `direct` are sent. */
  upstream(provider: Provider, prompt: string): Exchange
}

const JSON_TYPE = { 'content-type': 'application/json' }
const MODEL: Record<Provider, string> = { openai: 'gpt-4.1-mini', gemini: 'gemini-2.5-flash' }
const GEMINI_PATH = `/v1beta/models/${MODEL.gemini}:streamGenerateContent?alt=sse`

/** The body the OpenAI SDK sends for one user message, streamed (no `stream_options`: its default). */
const chatBody = (provider: Provider, prompt: string) =>
  JSON.stringify({ model: MODEL[provider], messages: [{ role: 'user', content: prompt }], stream: true })
/** The body the OpenAI SDK's `responses.create({ model, input, stream: true })` sends. */
const responsesBody = (provider: Provider, prompt: string) =>
  JSON.stringify({ model: MODEL[provider], input: prompt, stream: true })
/** The Gemini request the gateway makes for one user message on the OpenAI-compatible routes. */
const geminiUpstream = (prompt: string): Exchange => ({
  path: GEMINI_PATH,
  headers: JSON_TYPE,
  body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: prompt }] }] }),
  wire: 'gemini',
})

export const APIS: Record<ApiId, ApiSpec> = {
  api: {
    route: 'POST /api/stream/chat',
    about: 'OpenAI: one token per event; Gemini: as the emulator sends it',
    contenders: ['direct', 'passthrough', 'lean', 'gateway', 'ai-sdk', 'portkey'],
    request: (provider, prompt) => ({
      path: '/api/stream/chat',
      headers: JSON_TYPE,
      body: JSON.stringify({ user_input: prompt, provider }),
      wire: 'events',
    }),
    upstream: (provider, prompt) =>
      provider === 'openai'
        ? {
            path: '/v1/chat/completions',
            headers: JSON_TYPE,
            body: JSON.stringify({
              model: MODEL.openai,
              messages: [{ role: 'user', content: prompt }],
              stream: true,
              stream_options: { include_usage: true },
            }),
            wire: 'chat',
          }
        : {
            path: GEMINI_PATH,
            headers: JSON_TYPE,
            body: JSON.stringify({ contents: [{ parts: [{ text: prompt }], role: 'user' }], generationConfig: {} }),
            wire: 'gemini',
          },
  },
  v1: {
    route: 'POST /v1/chat/completions',
    about:
      '`stream: true`; OpenAI models passed through, Gemini translated into `chat.completion.chunk` frames; the floor is sent the provider request the gateway makes (OpenAI: the same body)',
    // Portkey's rows under /api are already its /v1/chat/completions; `direct` adds nothing here.
    contenders: ['passthrough', 'lean', 'gateway', 'ai-sdk'],
    request: (provider, prompt) => ({
      path: '/v1/chat/completions',
      headers: JSON_TYPE,
      body: chatBody(provider, prompt),
      wire: 'chat',
    }),
    upstream: (provider, prompt) =>
      provider === 'openai'
        ? { path: '/v1/chat/completions', headers: JSON_TYPE, body: chatBody(provider, prompt), wire: 'chat' }
        : geminiUpstream(prompt),
  },
  responses: {
    route: 'POST /v1/responses',
    about:
      '`stream: true`; OpenAI models relayed, Gemini translated into Responses events; the floor is sent the provider request the gateway makes (OpenAI: the same body)',
    // The AI SDK cannot answer in Responses events (bench/NOTES.md); `direct` adds nothing here.
    contenders: ['passthrough', 'lean', 'gateway'],
    request: (provider, prompt) => ({
      path: '/v1/responses',
      headers: JSON_TYPE,
      body: responsesBody(provider, prompt),
      wire: 'responses',
    }),
    upstream: (provider, prompt) =>
      provider === 'openai'
        ? { path: '/v1/responses', headers: JSON_TYPE, body: responsesBody(provider, prompt), wire: 'responses' }
        : geminiUpstream(prompt),
  },
}
export const API_IDS = Object.keys(APIS) as ApiId[]

/** Whether `kind` has rows for `api`. */
export const answers = (api: ApiId, kind: TargetKind): boolean => APIS[api].contenders.includes(kind)

/**
 * The exchange a target of `kind` gets for `api`. Direct to the emulator the client sends the key;
 * the floor adds it itself, as the gateway does. Portkey's own request is made in contenders.ts.
 */
export function exchangeFor(api: ApiId, kind: TargetKind): (provider: Provider, prompt: string) => Exchange {
  const spec = APIS[api]
  if (kind === 'passthrough') return spec.upstream
  if (kind !== 'direct') return spec.request
  return (provider, prompt) => {
    const ex = spec.upstream(provider, prompt)
    const key: Record<string, string> =
      provider === 'openai' ? { authorization: 'Bearer emu-key' } : { 'x-goog-api-key': 'emu-key' }
    return { ...ex, headers: { ...ex.headers, ...key } }
  }
}
