/**
 * The AI SDK peer: a Hono app on the Vercel AI SDK, the way its docs stream text. `streamText` with
 * `@ai-sdk/openai` (chat completions) or `@ai-sdk/google`, the base URL pointed at the upstream
 * (the emulator), and its `textStream` re-framed into the gateway's events
 * (`data: {"chunk":"…","done":false}` per text piece, `data: {"chunk":"","done":true}` last; an
 * error the SDK reports becomes `data: {"error":"…","done":true}`). `POST /v1/chat/completions`
 * re-frames the same SDK call into OpenAI chunks (chat-completions.ts).
 *
 * @example
 * const app = createAiSdkApp()
 * await app.fetch(new Request('http://x/api/stream/chat', { method: 'POST', body: '{"user_input":"Hi","provider":"gemini"}' }),
 *   { UPSTREAM: 'http://127.0.0.1:8787', API_KEY: 'emu-key' })
 */
import { createGoogleGenerativeAI } from '@ai-sdk/google'
import { createOpenAI } from '@ai-sdk/openai'
import { streamText, type LanguageModel } from 'ai'
import { Hono } from 'hono'
import { chatCompletions } from './chat-completions.ts'

export interface PeerEnv {
  /** The provider emulator's base URL without a version path, e.g. http://127.0.0.1:8787. */
  UPSTREAM?: string
  API_KEY?: string
}

type Provider = 'openai' | 'gemini'
const encoder = new TextEncoder()
const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }

/** The models by name, made once per upstream (the settings never change in a process). */
let models: { upstream: string; byName: Map<string, LanguageModel> } | undefined
/** `gemini-…` on `@ai-sdk/google`, any other name on `@ai-sdk/openai`'s chat completions. */
function modelNamed(env: PeerEnv, name: string): LanguageModel {
  const upstream = (env.UPSTREAM ?? '').replace(/\/+$/, '')
  if (models?.upstream !== upstream) models = { upstream, byName: new Map() }
  let model = models.byName.get(name)
  if (!model) {
    const apiKey = env.API_KEY ?? 'emu-key'
    model = name.startsWith('gemini-')
      ? createGoogleGenerativeAI({ baseURL: `${upstream}/v1beta`, apiKey })(name)
      : createOpenAI({ baseURL: `${upstream}/v1`, apiKey }).chat(name)
    models.byName.set(name, model)
  }
  return model
}
const MODEL: Record<Provider, string> = { openai: 'gpt-4.1-mini', gemini: 'gemini-2.5-flash' }

export function createAiSdkApp(): Hono<{ Bindings: PeerEnv }> {
  const app = new Hono<{ Bindings: PeerEnv }>()
  app.get('/__ready', (c) => c.text('ok'))
  app.post('/api/stream/chat', async (c) => {
    const body = (await c.req.json().catch(() => null)) as { user_input?: unknown; provider?: unknown } | null
    const provider = body?.provider ?? 'openai'
    if (typeof body?.user_input !== 'string' || (provider !== 'openai' && provider !== 'gemini')) {
      return c.json({ error: 'user_input (string) and provider (openai|gemini) are required' }, 400)
    }
    let failure: string | undefined
    const result = streamText({
      model: modelNamed(c.env, MODEL[provider]),
      prompt: body.user_input,
      maxRetries: 0,
      abortSignal: c.req.raw.signal,
      onError: ({ error }) => {
        failure = error instanceof Error ? error.message : String(error)
      },
    })
    const events = result.textStream.pipeThrough(
      new TransformStream<string, Uint8Array>({
        transform(text, out) {
          if (text !== '') out.enqueue(encoder.encode(`data: ${JSON.stringify({ chunk: text, done: false })}\n\n`))
        },
        flush(out) {
          const last =
            failure === undefined ? { chunk: '', done: true } : { error: `${provider}: ${failure}`, done: true }
          out.enqueue(encoder.encode(`data: ${JSON.stringify(last)}\n\n`))
        },
      }),
    )
    return c.body(events, 200, SSE_HEADERS)
  })
  app.post('/v1/chat/completions', (c) => chatCompletions(c.req.raw, (name) => modelNamed(c.env, name)))
  return app
}
