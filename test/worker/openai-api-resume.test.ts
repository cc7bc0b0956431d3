/**
 * Resumable `/v1/chat/completions` streams on Workers (a Durable Object per stream): a client cut off
 * in the middle of an answer gets the rest of the same frames, exactly once, with `Last-Event-ID` on
 * the repeated POST or from `GET /api/streams/{id}`, while the provider was asked once; `DELETE` stops
 * the answer. Both providers: OpenAI's own frames (relayed) and Gemini's translated ones.
 */
import type OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { jsonPost } from './app-call'
import { fixtureBytes, gateway, geminiFixtureText, scenario, upstreamClosedEarly, upstreamRequests } from './helpers'
import { collect, resumableFrames, sdk } from './openai-api-helpers'

const HI = [{ role: 'user' as const, content: 'Hi' }]
const decoder = new TextDecoder()

/**
 * Slow answers, so that a client can leave in the middle: OpenAI's recorded stream in writes of
 * 1000 bytes (several events and a piece of the next in each read), Gemini's one event per write.
 */
const SLOW = {
  openai: { fixture: 'openai-chat-basic.sse', chunking: { bytes: 1000 }, delayMs: 60 },
  gemini: { fixture: 'gemini-basic-long-2024.sse', delayMs: 120 },
} as const

type Provider = keyof typeof SLOW

const body = (provider: Provider, model: string) => ({ model: `${provider}/${model}`, messages: HI, stream: true })

/** Reads frames until `count` arrived; the reader stays open. */
async function take(response: Response, count: number) {
  const reader = response.body!.getReader()
  let raw = ''
  while ((raw.match(/\ndata: /g) ?? []).length < count) {
    const { value, done } = await reader.read()
    if (done) break
    raw += decoder.decode(value, { stream: true })
  }
  return { raw, reader }
}

async function readRest(reader: ReadableStreamDefaultReader<Uint8Array>, raw: string): Promise<string> {
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return raw + decoder.decode()
    raw += decoder.decode(value, { stream: true })
  }
}

/** Starts a slow answer, reads its first `k` frames and drops the connection. */
async function startAndDrop(provider: Provider, k: number) {
  const model = await scenario(SLOW[provider])
  const response = await gateway('/v1/chat/completions', jsonPost(body(provider, model)))
  expect(response.status).toBe(200)
  const streamId = response.headers.get('x-stream-id')!
  expect(streamId).toMatch(/^[A-Za-z0-9_-]{24}$/)
  const first = await take(response, k)
  await first.reader.cancel()
  // A read may have brought more than k frames: the client keeps the first k, as if the cut came after them.
  const whole = first.raw.slice(0, first.raw.lastIndexOf('\n\n') + 2)
  const frames = resumableFrames(whole, streamId).slice(0, k)
  expect(frames).toHaveLength(k)
  return { model, streamId, frames, requestId: response.headers.get('x-request-id') }
}

/** The resumed body completes the answer: the frames after the last one the client had, then [DONE], once each. */
async function expectCompleted(
  provider: Provider,
  started: Awaited<ReturnType<typeof startAndDrop>>,
  resumed: Response,
): Promise<void> {
  const { model, streamId, frames } = started
  expect(resumed.status).toBe(200)
  expect(resumed.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
  expect(resumed.headers.get('x-stream-id')).toBe(streamId)
  const rest = resumableFrames(await resumed.text(), streamId, frames.length + 1)
  expect(rest.at(-1)).toBe('[DONE]')
  // The whole stream, replayed from its first frame once it ended: the two parts are exactly it.
  const all = resumableFrames(await (await gateway(`/api/streams/${streamId}?last_event_id=0`)).text(), streamId)
  expect([...frames, ...rest]).toEqual(all)
  if (provider === 'openai') {
    // OpenAI's own frames, as it sent them.
    const upstream = decoder.decode(await fixtureBytes(SLOW.openai.fixture))
    expect(all.map((frame) => `data: ${frame}\n\n`).join('')).toBe(upstream)
  } else {
    const chunks = all.slice(0, -1).map((frame) => JSON.parse(frame) as OpenAI.ChatCompletionChunk)
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop')
    expect(chunks.every((chunk) => chunk.id === chunks[0]!.id)).toBe(true)
  }
  const requests = await upstreamRequests(model)
  expect(requests).toHaveLength(1)
  expect(requests[0]!.clientClosedEarly).toBe(false)
}

describe('resumable /v1/chat/completions (Durable Object)', () => {
  for (const provider of ['openai', 'gemini'] as const) {
    it(`${provider}: cut after 3 frames, the repeated POST with Last-Event-ID gets the rest once; one upstream request`, async () => {
      const started = await startAndDrop(provider, 3)
      const lastEventId = `${started.streamId}:${started.frames.length}`
      const resumed = await gateway(
        '/v1/chat/completions',
        jsonPost(body(provider, started.model), { 'last-event-id': lastEventId }),
      )
      await expectCompleted(provider, started, resumed)
    })

    it(`${provider}: cut after 2 frames, GET /api/streams/{id} with Last-Event-ID gets the rest once`, async () => {
      const started = await startAndDrop(provider, 2)
      const resumed = await gateway(`/api/streams/${started.streamId}`, {
        headers: { 'last-event-id': `${started.streamId}:${started.frames.length}` },
      })
      await expectCompleted(provider, started, resumed)
    })

    it(`${provider}: DELETE closes the upstream within a second; listeners get the "cancelled" error frame, then [DONE]`, async () => {
      const model = await scenario({ ...SLOW[provider], delayMs: 400 })
      const response = await gateway('/v1/chat/completions', jsonPost(body(provider, model)))
      const streamId = response.headers.get('x-stream-id')!
      const first = await take(response, 1)
      const second = await gateway(`/api/streams/${streamId}`)
      const deletedAt = Date.now()
      expect((await gateway(`/api/streams/${streamId}`, { method: 'DELETE' })).status).toBe(204)
      const cancelled = {
        error: {
          message:
            'gateway: the stream was cancelled (DELETE /api/streams/{id}). Send the request again for a new answer.',
          type: 'server_error',
          param: null,
          code: 'cancelled',
        },
        request_id: response.headers.get('x-request-id'),
      }
      for (const raw of [await readRest(first.reader, first.raw), await second.text()]) {
        const frames = resumableFrames(raw, streamId)
        expect(frames.at(-1)).toBe('[DONE]')
        expect(JSON.parse(frames.at(-2)!)).toEqual(cancelled)
        // What came before is the answer's own frames, none of them an error.
        for (const frame of frames.slice(0, -2)) expect(JSON.parse(frame)).not.toHaveProperty('error')
      }
      const closed = await upstreamClosedEarly(model, 1000)
      expect(closed, 'the upstream request was still open 1 s after DELETE').toBeDefined()
      expect(closed!.closedAt! - deletedAt).toBeLessThan(1000)
      expect(await upstreamRequests(model)).toHaveLength(1)
    })
  }

  it('the openai SDK resumes with the Last-Event-ID header on its request and reads the rest to the end', async () => {
    const started = await startAndDrop('gemini', 2)
    const before = started.frames
      .map((frame) => (JSON.parse(frame) as OpenAI.ChatCompletionChunk).choices[0]?.delta.content ?? '')
      .join('')
    const { text, finish } = await collect(
      await sdk().chat.completions.create(body('gemini', started.model) as OpenAI.ChatCompletionCreateParamsStreaming, {
        headers: { 'Last-Event-ID': `${started.streamId}:${started.frames.length}` },
      }),
    )
    expect(before + text).toBe(await geminiFixtureText(SLOW.gemini.fixture))
    expect(finish).toBe('stop')
    expect(await upstreamRequests(started.model)).toHaveLength(1)
  })
})
