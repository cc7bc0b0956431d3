/**
 * `node bench/stages.ts`: where the gateway's per-chunk time goes on Workers. Each route streams
 * the same upstream answer with one more piece of the gateway's pipeline than the one before,
 * using the gateway's own modules from src/:
 *
 *   /s0-native   upstream body returned untouched (the bench's pass-through)
 *   /s1-js-pipe  upstream body through one identity JS TransformStream (like providers/response-tail.ts)
 *   /s2-minimal  a hand-written SSE parser: reader → TextDecoder → split → JSON.parse → chunkEvent (src/sse.ts)
 *   /s3-bare-sdk the official SDK used directly (no src/providers wrapper) → chunkEvent, one pull stream
 *   /s3-sdk      the gateway's provider (src/providers/*: the SDK + error mapping, Gemini's response tail) → chunkEvent
 *   /s4-flow     + runStreamTestWorkflow (src/flows) and answerStream (src/answer-stream.ts), as src/routes/stream.ts
 *                does, without Hono, zod validation and CORS (the full gateway is `npm run bench`)
 *
 * POST /<stage>?provider=openai|gemini with {"prompt": "..."}; s0/s1 answer in the provider's
 * format, s2–s4 in the gateway's. UPSTREAM (the emulator's base URL) comes from `--var`.
 */
import { answerStream, describeResult, sseResponse } from '../../src/answer-stream'
import { runStreamTestWorkflow } from '../../src/flows/stream-test-flow'
import { idleTimeoutError } from '../../src/providers/errors'
import { createGeminiProvider } from '../../src/providers/gemini'
import { createOpenAIProvider } from '../../src/providers/openai'
import type { ProviderRegistry } from '../../src/providers/registry'
import { SSE_HEADERS, chunkEvent, doneEvent } from '../../src/sse'
import { GoogleGenAI } from '@google/genai'
import OpenAI from 'openai'

/** workerd's native identity stream: JS writes, the runtime reads (Workers only). */
declare const IdentityTransformStream: (new () => TransformStream<Uint8Array, Uint8Array>) | undefined

interface Env {
  UPSTREAM?: string
}

type Provider = 'openai' | 'gemini'

function upstreamRequest(base: string, provider: Provider, prompt: string): Request {
  if (provider === 'openai') {
    return new Request(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer emu-key' },
      body: JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: prompt }], stream: true, stream_options: { include_usage: true } }),
    })
  }
  return new Request(`${base}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': 'emu-key' },
    body: JSON.stringify({ contents: [{ parts: [{ text: prompt }], role: 'user' }], generationConfig: {} }),
  })
}

/** The text of one upstream event, and whether it ends the answer. */
function textOf(provider: Provider, data: string): { text: string; end: boolean } {
  if (provider === 'openai') {
    if (data === '[DONE]') return { text: '', end: true }
    const ev = JSON.parse(data) as { choices?: { delta?: { content?: string | null } }[] }
    return { text: ev.choices?.[0]?.delta?.content ?? '', end: false }
  }
  const ev = JSON.parse(data) as { candidates?: { content?: { parts?: { text?: string; thought?: boolean }[] }; finishReason?: string }[] }
  let text = ''
  for (const p of ev.candidates?.[0]?.content?.parts ?? []) if (p.text && !p.thought) text += p.text
  return { text, end: false }
}

/** s2: the least a re-framing gateway must do, with no SDK and no extra layers. */
function minimal(provider: Provider, body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        const sep = /\r\n\r\n|\n\n/.exec(buffer)
        if (sep) {
          const block = buffer.slice(0, sep.index)
          buffer = buffer.slice(sep.index + sep[0].length)
          const data = block.startsWith('data:') ? block.slice(5).trim() : ''
          if (data === '') continue
          const { text, end } = textOf(provider, data)
          if (end) {
            controller.enqueue(doneEvent({ provider }))
            controller.close()
            return
          }
          if (text !== '') {
            controller.enqueue(chunkEvent(text))
            return
          }
          continue
        }
        const { done, value } = await reader.read()
        if (done) {
          controller.enqueue(doneEvent({ provider }))
          controller.close()
          return
        }
        buffer += decoder.decode(value, { stream: true })
      }
    },
    cancel(reason) {
      void reader.cancel(reason)
    },
  })
}

/** s3-bare-sdk: the SDKs' own streaming, the way their READMEs show it. */
async function* bareSdk(base: string, provider: Provider, prompt: string, signal: AbortSignal): AsyncGenerator<string, void> {
  if (provider === 'openai') {
    const client = (openaiClient ??= new OpenAI({ apiKey: 'emu-key', baseURL: `${base}/v1`, maxRetries: 0 }))
    const stream = await client.chat.completions.create(
      { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: prompt }], stream: true, stream_options: { include_usage: true } },
      { signal },
    )
    for await (const chunk of stream) {
      const text = chunk.choices[0]?.delta?.content
      if (text) yield text
    }
    return
  }
  const client = (geminiClient ??= new GoogleGenAI({ apiKey: 'emu-key', apiVersion: 'v1beta', httpOptions: { baseUrl: base } }))
  const stream = await client.models.generateContentStream({ model: 'gemini-2.5-flash', contents: [{ role: 'user', parts: [{ text: prompt }] }], config: { abortSignal: signal } })
  for await (const chunk of stream) {
    for (const part of chunk.candidates?.[0]?.content?.parts ?? []) if (part.text && !part.thought) yield part.text
  }
}
let openaiClient: OpenAI | undefined
let geminiClient: GoogleGenAI | undefined

let registry: ProviderRegistry | undefined
function providers(base: string): ProviderRegistry {
  registry ??= {
    openai: createOpenAIProvider({ apiKey: 'emu-key', baseURL: `${base}/v1` }),
    gemini: createGeminiProvider({ apiKey: 'emu-key', baseURL: base }),
  }
  return registry
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url)
    if (url.pathname === '/__ready') return new Response('ok')
    const base = (env.UPSTREAM ?? '').replace(/\/+$/, '')
    if (request.method !== 'POST' || !base) return new Response('not found', { status: 404 })
    const provider: Provider = url.searchParams.get('provider') === 'gemini' ? 'gemini' : 'openai'
    const { prompt } = (await request.json()) as { prompt: string }

    switch (url.pathname) {
      case '/s0-native': {
        const up = await fetch(upstreamRequest(base, provider, prompt))
        return new Response(up.body, { status: up.status, headers: up.headers })
      }
      case '/s1-js-pipe': {
        const up = await fetch(upstreamRequest(base, provider, prompt))
        const piped = up.body!.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({ transform: (c, ctl) => ctl.enqueue(c) }))
        return new Response(piped, { status: up.status, headers: up.headers })
      }
      case '/s1-js-native-out': {
        // JS reads the upstream body and writes each read into a native IdentityTransformStream
        // (on Bun, which has none, a standard TransformStream).
        const up = await fetch(upstreamRequest(base, provider, prompt))
        const { readable, writable } = typeof IdentityTransformStream === 'function' ? new IdentityTransformStream() : new TransformStream<Uint8Array, Uint8Array>()
        void (async () => {
          const writer = writable.getWriter()
          const reader = up.body!.getReader()
          try {
            for (;;) {
              const { done, value } = await reader.read()
              if (done) break
              await writer.write(value)
            }
            await writer.close()
          } catch (error) {
            await writer.abort(error).catch(() => {})
          }
        })()
        return new Response(readable, { status: up.status, headers: up.headers })
      }
      case '/s2-minimal': {
        const up = await fetch(upstreamRequest(base, provider, prompt))
        return new Response(minimal(provider, up.body!), { headers: SSE_HEADERS })
      }
      case '/s3-bare-sdk': {
        const abort = new AbortController()
        const answer = bareSdk(base, provider, prompt, abort.signal)
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            const step = await answer.next()
            if (step.done) {
              controller.enqueue(doneEvent({ provider }))
              controller.close()
            } else controller.enqueue(chunkEvent(step.value))
          },
          cancel(reason) {
            abort.abort(reason)
          },
        })
        return new Response(body, { headers: SSE_HEADERS })
      }
      case '/s3-sdk': {
        const abort = new AbortController()
        const answer = providers(base)[provider].stream({ prompt }, { signal: abort.signal })
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            const step = await answer.next()
            if (step.done) {
              controller.enqueue(doneEvent(describeResult(step.value)))
              controller.close()
            } else controller.enqueue(chunkEvent(step.value))
          },
          cancel(reason) {
            abort.abort(reason)
          },
        })
        return new Response(body, { headers: SSE_HEADERS })
      }
      case '/s4-flow': {
        const abort = new AbortController()
        request.signal?.addEventListener('abort', () => abort.abort(request.signal.reason), { once: true })
        const answer = runStreamTestWorkflow(prompt, { provider, request: {}, providers: providers(base), signal: abort.signal })
        return sseResponse(
          answerStream(answer, {
            source: provider,
            abort,
            pingIntervalMs: 15_000,
            idleTimeoutMs: 120_000,
            idleError: () => idleTimeoutError(provider, 120_000),
            describe: describeResult,
          }),
        )
      }
    }
    return new Response('unknown stage', { status: 404 })
  },
}
