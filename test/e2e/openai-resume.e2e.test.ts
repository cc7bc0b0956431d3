/**
 * Black box: a `/v1/chat/completions` stream resumes after a dropped connection on the real gateway
 * processes (wrangler dev, Bun, Node), with the provider emulator upstream. A TCP proxy between the
 * client and the gateway cuts the first stream in the middle of its third frame; the same POST again
 * with `Last-Event-ID` gets the rest of the same answer, every frame exactly once, and the emulator
 * saw one request, which ran to its end. The official openai SDK parses the resumable stream and
 * resumes it the same way (the header as a request option).
 *
 * Narrow the runtimes with GATEWAY_RUNTIMES=workers (or bun,node). GATEWAY_LOG=1 shows the gateways' output.
 */
import OpenAI from 'openai'
import type { ChatCompletionChunk } from 'openai/resources/chat/completions'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  expectedAnswer,
  expectedChunks,
  startEmulator,
  type Emulator,
  type RequestLogEntry,
} from '../../emulator/server.ts'
import { parseChatStream, readUntilBroken, type ChatFrame } from '../support/chat-sse.ts'
import { startCuttingProxy, type CuttingProxy } from '../support/cutting-proxy.ts'
import { RUNTIME_ENTRY, runtimeAvailable, startGateway, type RunningGateway, type Runtime } from '../support/gateway.ts'

type Provider = 'openai' | 'gemini'
const MODEL: Record<Provider, string> = { openai: 'gpt-4.1-mini', gemini: 'gemini-2.5-flash' }
const PROVIDERS: Provider[] = ['openai', 'gemini']
/** Still streaming when the cut comes and when the resumed request arrives: the rest is part replay, part live. */
const PROMPT = 'Nối lại giúp tôi, 请继续 🚀 [emu chunks=8 delay=80]'
const STREAM_ID = /^[A-Za-z0-9_-]{24}$/

const wanted = (process.env.GATEWAY_RUNTIMES ?? 'workers,bun,node').split(',').map((s) => s.trim())
const RUNTIMES = (['workers', 'bun', 'node'] as Runtime[]).filter((r) => wanted.includes(r))

const chatRequest = (provider: Provider) => ({
  model: MODEL[provider],
  messages: [{ role: 'user' as const, content: PROMPT }],
  stream: true as const,
})
const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
})
const isStreamRequest = (head: string) => head.startsWith('POST /v1/chat/completions ')

describe.each(RUNTIMES)('/v1/chat/completions resumes a dropped stream on %s', (runtime) => {
  if (!runtimeAvailable(runtime)) {
    it.skip(`${runtime}: ${RUNTIME_ENTRY[runtime]} does not exist yet`, () => {})
    return
  }

  let emu: Emulator
  let gw: RunningGateway
  let proxy: CuttingProxy

  beforeAll(async () => {
    emu = await startEmulator()
    gw = await startGateway({
      runtime,
      upstreamUrl: emu.url,
      onOutput: process.env.GATEWAY_LOG ? (t) => process.stderr.write(t) : undefined,
    })
  }, 120_000)
  afterAll(async () => {
    await gw?.stop()
    await emu?.close()
  })
  beforeEach(async () => {
    emu.clearRequests()
    proxy = await startCuttingProxy(gw.port, { matches: isStreamRequest })
    return () => proxy.close()
  })

  /** The emulator's own log over HTTP, once every request it got has ended. */
  async function upstreamLog(): Promise<RequestLogEntry[]> {
    const deadline = Date.now() + 3000
    for (;;) {
      const log = (await (await fetch(`${emu.url}/__emulator/requests`)).json()) as RequestLogEntry[]
      if (log.every((entry) => entry.finishedAt !== null) || Date.now() > deadline) return log
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  it.each(PROVIDERS)(
    '%s: cut inside the third frame, the same POST with Last-Event-ID gets the rest exactly once; one upstream request',
    async (provider) => {
      const body = chatRequest(provider)
      const res = await fetch(`${proxy.url}/v1/chat/completions`, post(body))
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
      const streamId = res.headers.get('x-stream-id')!
      expect(streamId).toMatch(STREAM_ID)
      const broken = await readUntilBroken(res)
      expect(broken.error, 'the proxy should have cut the body short').toBeDefined()
      const first = parseChatStream(broken.raw, { partial: true })
      expect(first.retry).toBe(true)
      expect(first.ids).toEqual([`${streamId}:1`, `${streamId}:2`])
      // The cut fell inside the third frame: its id and the start of its data line came, the rest did not.
      expect(broken.raw.slice(first.raw.length)).toBe(`id: ${streamId}:3\ndata: {"id"`)

      const resumed = await fetch(`${proxy.url}/v1/chat/completions`, post(body, { 'last-event-id': `${streamId}:2` }))
      expect(resumed.status).toBe(200)
      expect(resumed.headers.get('content-type')).toMatch(/^text\/event-stream/)
      expect(resumed.headers.get('x-stream-id')).toBe(streamId)
      const rest = parseChatStream(await resumed.text())
      expect(rest.retry).toBe(true)
      expect(rest.ids[0]).toBe(`${streamId}:3`)
      expect(proxy.requests).toHaveLength(2)
      expect(proxy.requests[1]).toMatch(new RegExp(`\\r\\nlast-event-id: ${streamId}:2(\\r\\n|$)`, 'i'))

      // What came before the cut and the rest are one well-formed stream: ids 1…n, each piece once, [DONE] last.
      const whole = parseChatStream(first.raw + rest.raw.slice('retry: 1000\n\n'.length))
      expect(whole.text).toBe(expectedAnswer(PROMPT, { provider }))
      expect(whole.contents).toEqual(expectedChunks(PROMPT, { provider }))
      const chunks = whole.frames.slice(0, -1) as ChatFrame[]
      expect(new Set(chunks.map((chunk) => chunk.id)).size, 'one completion id for the whole answer').toBe(1)
      expect(chunks.map((chunk) => chunk.object)).toEqual(chunks.map(() => 'chat.completion.chunk'))
      expect(chunks.flatMap((chunk) => chunk.choices!.map((choice) => choice.finish_reason ?? null))).toEqual([
        ...chunks.slice(1).map(() => null),
        'stop',
      ])
      expect(chunks[0]!.choices![0]!.delta).toMatchObject({ role: 'assistant' })

      const log = await upstreamLog()
      expect(log.map((entry) => [entry.provider, entry.status, entry.outcome, entry.clientClosedEarly])).toEqual([
        [provider, 200, 'ok', false],
      ])

      // The finished stream replays whole, in the same frames, from GET /api/streams/{id}.
      const replay = await fetch(`${gw.url}/api/streams/${streamId}`)
      expect(replay.status).toBe(200)
      expect(await replay.text()).toBe(whole.raw)
      expect(await upstreamLog()).toHaveLength(1)
    },
  )

  it.each(PROVIDERS)(
    '%s: the openai SDK reads the resumable stream, breaks at the cut, and resumes with Last-Event-ID as a header',
    async (provider) => {
      const client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'client-token', maxRetries: 0 })
      const { data, response } = await client.chat.completions.create(chatRequest(provider)).withResponse()
      const streamId = response.headers.get('x-stream-id')!
      expect(streamId).toMatch(STREAM_ID)
      const before: ChatCompletionChunk[] = []
      let broke: unknown
      try {
        for await (const chunk of data) before.push(chunk)
      } catch (error) {
        broke = error
      }
      expect(broke, 'the proxy should have cut the stream short').toBeDefined()
      // One chunk per frame: the SDK got frames 1 and 2, so the last event id is <stream id>:2.
      expect(before).toHaveLength(2)

      const after: ChatCompletionChunk[] = []
      const resumed = await client.chat.completions.create(chatRequest(provider), {
        headers: { 'Last-Event-ID': `${streamId}:${before.length}` },
      })
      for await (const chunk of resumed) after.push(chunk)

      const all = [...before, ...after]
      const contents = all.map((chunk) => chunk.choices[0]?.delta.content).filter((content) => !!content)
      expect(contents).toEqual(expectedChunks(PROMPT, { provider }))
      expect(all.map((chunk) => chunk.choices[0]?.finish_reason ?? null)).toEqual([
        ...all.slice(1).map(() => null),
        'stop',
      ])
      expect(new Set(all.map((chunk) => chunk.id)).size).toBe(1)
      const log = await upstreamLog()
      expect(log.map((entry) => [entry.provider, entry.outcome, entry.clientClosedEarly])).toEqual([
        [provider, 'ok', false],
      ])
    },
  )
})
