/**
 * The lean peer: the practical limit of a gateway on Hono. One route, the same request upstream
 * as the gateway sends, a hand-written SSE line parser, and re-framing into the gateway's events
 * (`data: {"chunk":"…","done":false}` per text piece, `data: {"chunk":"","done":true}` last), in
 * one TransformStream with no per-chunk allocation beyond the event itself. No validation library,
 * no SDK, no error mapping beyond a status check. `POST /v1/chat/completions` (chat-completions.ts)
 * and `POST /v1/responses` (responses.ts) are the same for the OpenAI-compatible APIs.
 *
 * @example
 * const app = createLeanApp()
 * await app.fetch(new Request('http://x/api/stream/chat', { method: 'POST', body: '{"user_input":"Hi","provider":"openai"}' }),
 *   { UPSTREAM: 'http://127.0.0.1:8787', API_KEY: 'emu-key' })
 */
import { Hono } from 'hono'
import { chatCompletions } from './chat-completions.ts'
import { responses } from './responses.ts'

export interface PeerEnv {
  /** The provider emulator's base URL without a version path, e.g. http://127.0.0.1:8787. */
  UPSTREAM?: string
  API_KEY?: string
}

type Provider = 'openai' | 'gemini'
const encoder = new TextEncoder()
const DONE = encoder.encode('data: {"chunk":"","done":true}\n\n')
const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }

/** The text of one upstream `data:` payload ('' for none). */
function openaiText(data: string): string {
  if (data === '[DONE]') return ''
  const ev = JSON.parse(data) as { choices?: { delta?: { content?: string | null } }[] }
  return ev.choices?.[0]?.delta?.content ?? ''
}
function geminiText(data: string): string {
  const ev = JSON.parse(data) as { candidates?: { content?: { parts?: { text?: string; thought?: boolean }[] } }[] }
  let text = ''
  for (const part of ev.candidates?.[0]?.content?.parts ?? []) if (part.text && !part.thought) text += part.text
  return text
}

/** Upstream SSE bytes → the gateway's events, line by line (LF or CRLF), one write per text piece. */
export function reframe(provider: Provider): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder()
  const textOf = provider === 'openai' ? openaiText : geminiText
  let rest = ''
  return new TransformStream({
    transform(bytes, out) {
      const text = rest + decoder.decode(bytes, { stream: true })
      let start = 0
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl
        if (text.startsWith('data:', start)) {
          const piece = textOf(text.slice(text.charCodeAt(start + 5) === 32 ? start + 6 : start + 5, end))
          if (piece !== '') out.enqueue(encoder.encode(`data: ${JSON.stringify({ chunk: piece, done: false })}\n\n`))
        }
        start = nl + 1
      }
      rest = text.slice(start)
    },
    flush(out) {
      out.enqueue(DONE)
    },
  })
}

function upstreamRequest(env: PeerEnv, provider: Provider, prompt: string, signal: AbortSignal): Request {
  const base = (env.UPSTREAM ?? '').replace(/\/+$/, '')
  const key = env.API_KEY ?? 'emu-key'
  if (provider === 'openai') {
    return new Request(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({
        model: 'gpt-4.1-mini',
        messages: [{ role: 'user', content: prompt }],
        stream: true,
        stream_options: { include_usage: true },
      }),
      signal,
    })
  }
  return new Request(`${base}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': key },
    body: JSON.stringify({ contents: [{ parts: [{ text: prompt }], role: 'user' }], generationConfig: {} }),
    signal,
  })
}

export function createLeanApp(): Hono<{ Bindings: PeerEnv }> {
  const app = new Hono<{ Bindings: PeerEnv }>()
  app.get('/__ready', (c) => c.text('ok'))
  app.post('/api/stream/chat', async (c) => {
    const body = (await c.req.json().catch(() => null)) as { user_input?: unknown; provider?: unknown } | null
    const provider = body?.provider ?? 'openai'
    if (typeof body?.user_input !== 'string' || (provider !== 'openai' && provider !== 'gemini')) {
      return c.json({ error: 'user_input (string) and provider (openai|gemini) are required' }, 400)
    }
    const res = await fetch(upstreamRequest(c.env, provider, body.user_input, c.req.raw.signal))
    if (!res.ok || !res.body) {
      await res.body?.cancel()
      return c.body(
        `data: ${JSON.stringify({ error: `${provider} answered ${res.status}`, done: true })}\n\n`,
        200,
        SSE_HEADERS,
      )
    }
    return c.body(res.body.pipeThrough(reframe(provider)), 200, SSE_HEADERS)
  })
  app.post('/v1/chat/completions', (c) => chatCompletions(c.req.raw, c.env))
  app.post('/v1/responses', (c) => responses(c.req.raw, c.env))
  return app
}
