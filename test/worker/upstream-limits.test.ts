import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { bodyText, inProcessApp, parseEvents, scenario, upstreamClosedEarly } from './helpers'

const LIMIT = 64 * 1024

/** Streams through an app whose MAX_UPSTREAM_EVENT_BYTES is {@link LIMIT}. */
async function streamWithLimit(provider: 'openai' | 'gemini', model: string) {
  const response = await inProcessApp().fetch(
    new Request('http://gateway.test/api/stream/chat', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_input: 'Hi', provider, model }),
    }),
    { ...env, MAX_UPSTREAM_EVENT_BYTES: String(LIMIT), RETRIES: '0' },
  )
  expect(response.status).toBe(200)
  return parseEvents(await bodyText(response))
}

const oversize = (provider: string) =>
  `${provider}: the provider sent an event larger than ${LIMIT} bytes (MAX_UPSTREAM_EVENT_BYTES), so the answer was stopped. The answer is incomplete; check that ${provider.toUpperCase()}_BASE_URL points at the real API.`

const firstEvent: Record<'openai' | 'gemini', string> = {
  openai: 'data: {"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\n',
  gemini: 'data: {"candidates": [{"content": {"parts": [{"text": "Hi"}],"role": "model"}}]}\r\n\r\n',
}

describe('a hostile upstream cannot take unbounded memory (MAX_UPSTREAM_EVENT_BYTES)', () => {
  for (const provider of ['openai', 'gemini'] as const) {
    it(`${provider}: a line that never ends is cut at the limit, with an error event, and the upstream is closed`, async () => {
      // 8 writes of 16 KiB of one endless line (twice the limit), then the upstream goes quiet with the connection open.
      const body = `${firstEvent[provider]}data: {"x":"${'a'.repeat(4 * LIMIT)}`
      const model = await scenario({
        body,
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
        chunking: { bytes: 16_384 },
        stallAfterWrites: 8,
      })
      const startedAt = Date.now()
      const events = await streamWithLimit(provider, model)
      expect(events).toEqual([
        { chunk: 'Hi', done: false },
        { error: oversize(provider), done: true },
      ])
      expect(Date.now() - startedAt).toBeLessThan(5000)
      expect(await upstreamClosedEarly(model), 'the upstream request was still open').toBeDefined()
    })

    it(`${provider}: one complete event larger than the limit is never passed on`, async () => {
      const huge =
        provider === 'openai'
          ? `data: {"choices":[{"index":0,"delta":{"content":"${'b'.repeat(2 * LIMIT)}"},"finish_reason":null}]}\n\n`
          : `data: {"candidates": [{"content": {"parts": [{"text": "${'b'.repeat(2 * LIMIT)}"}],"role": "model"}}]}\r\n\r\n`
      const model = await scenario({
        body: firstEvent[provider] + huge,
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
        chunking: { bytes: 8192 },
      })
      const events = await streamWithLimit(provider, model)
      expect(events).toEqual([
        { chunk: 'Hi', done: false },
        { error: oversize(provider), done: true },
      ])
    })
  }

  it('events under the limit pass whole, however the network splits them', async () => {
    const text = 'c'.repeat(LIMIT / 2)
    const body =
      `data: {"choices":[{"index":0,"delta":{"content":"${text}"},"finish_reason":null}]}\n\n` +
      'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'
    const model = await scenario({
      body,
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      chunking: { bytes: 1000 },
    })
    const events = await streamWithLimit('openai', model)
    expect(events[0]).toEqual({ chunk: text, done: false })
    expect(events[1]).toMatchObject({ chunk: '', done: true, finish_reason: 'stop' })
  })
})
