/**
 * The typed client against the real gateway (a process, test/support/gateway.ts) and the
 * provider emulator: streamChat() gets the emulator's exact answer and its errors, and
 * `hc<AppType>` calls the routes. AppType's route table is checked against the app's own
 * OpenAPI document, so the two cannot drift apart.
 */
import { hc } from 'hono/client'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { expectedAnswer, startEmulator, type Emulator } from '../../emulator/server.ts'
import { createApp } from '../../src/app'
import { streamChat, StreamChatError, type AppType, type ChatInput, type StreamChatEvent } from '../../src/client'
import { contractApp } from '../../src/client/app-type'
import type { ChatRequestBody } from '../../src/schemas'
import { availableRuntimes, startGateway, type RunningGateway } from '../support/gateway.ts'

const runtime = availableRuntimes().includes('node') ? 'node' : (availableRuntimes()[0] ?? 'workers')
let emu: Emulator
let gw: RunningGateway

beforeAll(async () => {
  emu = await startEmulator()
  gw = await startGateway({ runtime, upstreamUrl: emu.url })
})

afterAll(async () => {
  await gw?.stop()
  await emu?.close()
})

async function collect(iterator: AsyncIterable<StreamChatEvent>): Promise<StreamChatEvent[]> {
  const out: StreamChatEvent[] = []
  for await (const event of iterator) out.push(event)
  return out
}

describe(`streamChat() on the real gateway (${runtime})`, () => {
  for (const provider of ['gemini', 'openai'] as const) {
    it(`${provider}: the emulator's exact answer in several pieces, then the closing event`, async () => {
      const prompt = `Xin chào ${provider}! 你好 🚀 [emu delay=5]`
      emu.clearRequests()
      const events = await collect(streamChat({ user_input: prompt, provider, max_tokens: 500 }, { baseUrl: gw.url }))
      const texts = events.filter((e) => e.type === 'text')
      expect(texts.length).toBeGreaterThanOrEqual(2)
      expect(texts.map((e) => e.text).join('')).toBe(expectedAnswer(prompt, { provider }))
      const done = events.at(-1)!
      expect(done).toMatchObject({ type: 'done', provider, finish_reason: 'stop' })
      expect(events.filter((e) => e.type === 'done')).toHaveLength(1)
      expect(emu.requests()).toHaveLength(1)
    })
  }

  it('an upstream failure (emulator fault=429) throws StreamChatError saying which provider', async () => {
    const error = await collect(
      streamChat({ user_input: 'Rate limit me [emu fault=429]', provider: 'openai' }, { baseUrl: gw.url }),
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StreamChatError)
    expect((error as StreamChatError).kind).toBe('event')
    expect((error as StreamChatError).message).toMatch(/openai/i)
    expect((error as StreamChatError).message).toMatch(/429|rate/i)
  })

  it('a 400 throws with the issue naming the field', async () => {
    const error = await collect(streamChat({ user_input: 'Hi', temperature: 7 }, { baseUrl: gw.url })).catch(
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ kind: 'http', status: 400 })
    expect((error as StreamChatError).issues.map((i) => i.field)).toContain('temperature')
  })
})

describe('AppType with hono/client', () => {
  it('calls /health and /api/flows/ask with typed input and output', async () => {
    const client = hc<AppType>(gw.url)
    const health = await client.health.$get()
    expect(health.status).toBe(200)
    const body = await health.json()
    expectTypeOf(body.default_provider).toEqualTypeOf<'gemini' | 'openai'>()
    expect(['gemini', 'openai']).toContain(body.default_provider)

    const prompt = 'Typed hello [emu delay=1]'
    const res = await client.api.flows.ask.$post({ json: { user_input: prompt, provider: 'gemini' } })
    expect(res.status).toBe(200)
    if (res.status !== 200) return
    const answer = await res.json()
    expectTypeOf(answer.response).toEqualTypeOf<string>()
    expect(answer.response).toBe(expectedAnswer(prompt, { provider: 'gemini' }))

    const sse = await client.api.stream['chat-get'].$get({ query: { user_input: prompt, provider: 'openai' } })
    expect(sse.headers.get('content-type')).toMatch(/text\/event-stream/)
    expect(await sse.text()).toContain('"done":true')
  })

  it("matches the app's own OpenAPI document: same routes, methods, inputs and statuses", async () => {
    type Doc = {
      paths: Record<string, Record<string, { requestBody?: unknown; parameters?: unknown; responses: object }>>
    }
    const real = (await (await createApp().request('/openapi.json')).json()) as Doc
    const contract = contractApp().getOpenAPI31Document({
      openapi: '3.1.0',
      info: { title: 'contract', version: '0' },
    }) as unknown as Doc
    // The /v1 routes are for the OpenAI SDKs, not hono/client; the access answers (401, 405, 429) are added
    // to the document for every /api route by the app (src/routes/openapi-security.ts).
    const ADDED = ['401', '405', '429']
    const shape = (doc: Doc) =>
      Object.fromEntries(
        Object.entries(doc.paths)
          .filter(([path]) => !path.startsWith('/v1/'))
          .flatMap(([path, methods]) =>
            Object.entries(methods).map(([method, op]) => [
              `${method.toUpperCase()} ${path}`,
              {
                body: op.requestBody ?? null,
                parameters: op.parameters ?? null,
                statuses: Object.keys(op.responses)
                  .filter((status) => !ADDED.includes(status))
                  .sort(),
              },
            ]),
          ),
      )
    expect(Object.keys(shape(real)).sort()).toEqual([
      'DELETE /api/streams/{stream_id}',
      'GET /api/stream/chat-get',
      'GET /api/stream/sse',
      'GET /api/streams/{stream_id}',
      'GET /api/usage',
      'GET /health',
      'POST /api/flows/ask',
      'POST /api/stream/chat',
    ])
    expect(shape(contract)).toEqual(shape(real))
  })

  it("ChatInput is the gateway's ChatRequest", () => {
    expectTypeOf<ChatInput>().toEqualTypeOf<ChatRequestBody>()
  })
})
