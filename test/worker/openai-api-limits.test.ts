/**
 * MAX_UPSTREAM_EVENT_BYTES on the OpenAI-compatible API: a hostile or broken upstream cannot make
 * the gateway hold an endless line or pass an oversize event on, whether the OpenAI stream is
 * relayed as it is or Gemini's is translated. What came before goes out; then an error frame the
 * SDK raises, and the upstream request is closed.
 */
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { bindings, call, jsonPost } from './app-call'
import { scenario, upstreamClosedEarly } from './helpers'
import { collect, collectUntilError, sdkWith } from './openai-api-helpers'

const LIMIT = 64 * 1024
const HI = [{ role: 'user' as const, content: 'Hi' }]
const sdk = sdkWith(bindings({ MAX_UPSTREAM_EVENT_BYTES: String(LIMIT), RETRIES: '0' }))

const oversize = (provider: string) =>
  `${provider}: the provider sent an event larger than ${LIMIT} bytes (MAX_UPSTREAM_EVENT_BYTES), so the answer was stopped. The answer is incomplete; check that ${provider.toUpperCase()}_BASE_URL points at the real API.`

const OPENAI_CHUNK = (content: string) =>
  `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4.1-mini","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}]}\n\n`
const GEMINI_CHUNK = (text: string) =>
  `data: {"candidates": [{"content": {"parts": [{"text": "${text}"}],"role": "model"}}]}\r\n\r\n`
const CHUNK = { openai: OPENAI_CHUNK, gemini: GEMINI_CHUNK }

describe('/v1 and a hostile upstream (MAX_UPSTREAM_EVENT_BYTES)', () => {
  for (const provider of ['openai', 'gemini'] as const) {
    it(`${provider}: a line that never ends: "Hi", then an error frame naming the limit; the upstream is closed`, async () => {
      // 8 writes of 16 KiB of one endless line (twice the limit), then the upstream goes quiet with the connection open.
      const model = await scenario({
        body: `${CHUNK[provider]('Hi')}data: {"x":"${'a'.repeat(4 * LIMIT)}`,
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
        chunking: { bytes: 16_384 },
        stallAfterWrites: 8,
      })
      const startedAt = Date.now()
      const { text, error } = await collectUntilError(
        await sdk.chat.completions.create({ model: `${provider}/${model}`, messages: HI, stream: true }),
      )
      expect(text).toBe('Hi')
      expect(error).toBeInstanceOf(OpenAI.APIError)
      expect((error as Error).message).toBe(oversize(provider))
      expect(Date.now() - startedAt).toBeLessThan(5000)
      expect(await upstreamClosedEarly(model), 'the upstream request was still open').toBeDefined()
    })
  }

  it('gemini: one complete event over the limit is never translated and passed on', async () => {
    const model = await scenario({
      body: GEMINI_CHUNK('Hi') + GEMINI_CHUNK('b'.repeat(2 * LIMIT)),
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      chunking: { bytes: 8192 },
    })
    const { text, error } = await collectUntilError(
      await sdk.chat.completions.create({ model: `gemini/${model}`, messages: HI, stream: true }),
    )
    expect(text).toBe('Hi')
    expect((error as Error).message).toBe(oversize('gemini'))
  })

  it('events under the limit pass whole, however the network splits them', async () => {
    for (const provider of ['openai', 'gemini'] as const) {
      const long = 'c'.repeat(LIMIT / 2)
      const end =
        provider === 'openai'
          ? 'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4.1-mini","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'
          : 'data: {"candidates": [{"content": {"parts": [{"text": ""}],"role": "model"},"finishReason": "STOP"}]}\r\n\r\n'
      const model = await scenario({
        body: CHUNK[provider](long) + end,
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
        chunking: { bytes: 1000 },
      })
      const { text, finish } = await collect(
        await sdk.chat.completions.create({ model: `${provider}/${model}`, messages: HI, stream: true }),
      )
      expect(text).toBe(long)
      expect(finish).toBe('stop')
    }
  })

  for (const provider of ['openai', 'gemini'] as const) {
    it(`${provider}, not streamed: a body that never ends is read no further than the limit: 502 naming it; the upstream is closed`, async () => {
      // 4 times the limit of one JSON value, then the upstream goes quiet with the connection open.
      const body =
        provider === 'openai'
          ? `{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"${'a'.repeat(4 * LIMIT)}`
          : `data: {"candidates": [{"content": {"parts": [{"text": "${'a'.repeat(4 * LIMIT)}`
      const model = await scenario({
        body,
        status: 200,
        headers: { 'content-type': provider === 'openai' ? 'application/json' : 'text/event-stream' },
        chunking: { bytes: 16_384 },
        stallAfterWrites: 12,
      })
      const response = await call(
        bindings({ MAX_UPSTREAM_EVENT_BYTES: String(LIMIT), RETRIES: '0' }),
        '/v1/chat/completions',
        jsonPost({ model: `${provider}/${model}`, messages: HI }),
      )
      expect(response.status).toBe(502)
      expect(((await response.json()) as { error: unknown }).error).toEqual({
        message: oversize(provider),
        type: 'server_error',
        param: null,
        code: 'oversize',
      })
      expect(await upstreamClosedEarly(model), 'the upstream request was still open').toBeDefined()
    })
  }
})
