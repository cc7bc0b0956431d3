/**
 * Black-box end-to-end suite: the real gateway process (wrangler dev, and Bun / Node when their
 * entry files exist) in front of the provider emulator, driven over HTTP only. Every answer is
 * compared byte for byte with `expectedAnswer(...)`, and every stream's framing is checked
 * strictly (`data: {...}\n\n`, final done event last).
 *
 * Narrow the runtimes with GATEWAY_RUNTIMES=workers (or bun,node). GATEWAY_LOG=1 shows the
 * gateway's own output.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  expectedAnswer,
  expectedPrefix,
  expectedRefusal,
  startEmulator,
  type Emulator,
  type RequestLogEntry,
} from '../../emulator/server.ts'
import { RUNTIME_ENTRY, runtimeAvailable, startGateway, type RunningGateway, type Runtime } from '../support/gateway.ts'
import { isAnswerTiming, parseGatewayStream, readGatewayStream, readUntil, type GatewayStream } from '../support/sse.ts'
import { pageScripts, staticScripts } from '../support/static-files.ts'
import { securitySuite } from './security.e2e.ts'

const run = promisify(execFile)
type Provider = 'openai' | 'gemini'
const PROVIDERS: Provider[] = ['openai', 'gemini']
/** wrangler.jsonc "vars" (and the gateway's built-in defaults). */
const DEFAULT_PROVIDER: Provider = 'gemini'
const DEFAULT_MODEL: Record<Provider, string> = { openai: 'gpt-4.1-mini', gemini: 'gemini-2.5-flash' }
const NAME: Record<Provider, RegExp> = { openai: /openai/i, gemini: /gemini/i }
const IDLE_TIMEOUT_MS = 2500
/** RESUME_GRACE_MS of the gateway under test (the default is 10 s). */
const GRACE_MS = 2000
const PROMPT = 'Xin chào, bạn có khỏe không? 你好 🚀'

const wanted = (process.env.GATEWAY_RUNTIMES ?? 'workers,bun,node').split(',').map((s) => s.trim())
const RUNTIMES = (['workers', 'bun', 'node'] as Runtime[]).filter((r) => wanted.includes(r))

// ---------------------------------------------------------------------------------------------
// Assertions on the gateway's stream

function expectAnswer(s: GatewayStream, expected: string): void {
  expect(s.events.length).toBeGreaterThanOrEqual(2)
  for (const [i, e] of s.events.slice(0, -1).entries()) {
    // Every piece: exactly {"chunk":"<non-empty>","done":false}, compact.
    expect(Object.keys(e), s.dataLines[i]).toEqual(['chunk', 'done'])
    expect(typeof e.chunk === 'string' && e.chunk.length > 0, s.dataLines[i]).toBe(true)
    expect(s.dataLines[i]).toBe(`data: ${JSON.stringify({ chunk: e.chunk, done: false })}`)
  }
  expect(s.last, s.raw.slice(-500)).toMatchObject({ chunk: '', done: true })
  expect(s.last?.error, s.raw.slice(-500)).toBeUndefined()
  expect(s.dataLines.at(-1)!.startsWith('data: {"chunk":"","done":true')).toBe(true)
  expect(s.text).toBe(expected)
}

function expectError(s: GatewayStream, provider: Provider, prefix = ''): void {
  const last = s.last
  expect(last, s.raw.slice(-800)).toBeDefined()
  expect(last!.done, s.raw.slice(-800)).toBe(true)
  expect(
    typeof last!.error === 'string' && last!.error.length > 0,
    `last event must carry an error: ${s.raw.slice(-800)}`,
  ).toBe(true)
  expect(last!.error as string).toMatch(NAME[provider])
  expect(s.dataLines.at(-1)!.startsWith('data: {"error":')).toBe(true)
  for (const e of s.events.slice(0, -1)) expect(e).toEqual({ chunk: expect.any(String), done: false })
  expect(s.text).toBe(prefix)
}

function expectSseHeaders(res: Response): void {
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
}

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
})

// ---------------------------------------------------------------------------------------------

describe.each(RUNTIMES)('gateway on %s (black box, emulator upstream)', (runtime) => {
  const available = runtimeAvailable(runtime)
  if (!available) {
    it.skip(`${runtime}: ${RUNTIME_ENTRY[runtime]} does not exist yet`, () => {})
    return
  }

  let emu: Emulator
  let gw: RunningGateway
  let base: string

  beforeAll(async () => {
    emu = await startEmulator()
    gw = await startGateway({
      runtime,
      upstreamUrl: emu.url,
      vars: {
        UPSTREAM_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
        SSE_PING_INTERVAL_MS: '1000',
        MAX_INPUT_CHARS: '2000',
        RESUME_GRACE_MS: String(GRACE_MS),
      },
      onOutput: process.env.GATEWAY_LOG ? (t) => process.stderr.write(t) : undefined,
    })
    base = gw.url
  }, 120_000)
  afterAll(async () => {
    await gw?.stop()
    await emu?.close()
  })
  beforeEach(() => emu.clearRequests())

  const post = (body: unknown) => fetch(`${base}/api/stream/chat`, json(body))
  const get = (params: Record<string, string>) => fetch(`${base}/api/stream/chat-get?${new URLSearchParams(params)}`)
  const upstream = (): RequestLogEntry[] => emu.requests()
  const only = (): RequestLogEntry => {
    const log = upstream()
    expect(log, JSON.stringify(log.map((e) => [e.method, e.path, e.status]))).toHaveLength(1)
    return log[0]!
  }

  describe('streams whole answers', () => {
    it.each(PROVIDERS)('POST /api/stream/chat, %s: every byte, then the done event', async (provider) => {
      const res = await post({ user_input: PROMPT, provider })
      expectSseHeaders(res)
      const s = await readGatewayStream(res)
      expectAnswer(s, expectedAnswer(PROMPT, { provider }))
      expect(s.last).toMatchObject({ done: true, chunk: '' })
      const e = only()
      expect(e).toMatchObject({
        provider,
        method: 'POST',
        keyPresent: true,
        status: 200,
        outcome: 'ok',
        stream: true,
        prompt: PROMPT,
        model: DEFAULT_MODEL[provider],
      })
      if (provider === 'openai') expect(e.path).toBe('/v1/chat/completions')
      else {
        expect(e.path).toBe(`/v1beta/models/${DEFAULT_MODEL.gemini}:streamGenerateContent`)
        expect(e.query.alt).toBe('sse')
      }
    })

    it.each(PROVIDERS)('GET /api/stream/chat-get, %s: every byte, then the done event', async (provider) => {
      const res = await get({ user_input: PROMPT, provider })
      expectSseHeaders(res)
      expectAnswer(await readGatewayStream(res), expectedAnswer(PROMPT, { provider }))
      expect(only()).toMatchObject({ provider, prompt: PROMPT })
    })

    it('without "provider" the default provider (gemini) answers', async () => {
      expectAnswer(
        await readGatewayStream(await post({ user_input: 'Hello' })),
        expectedAnswer('Hello', { provider: DEFAULT_PROVIDER }),
      )
      expect(only().provider).toBe(DEFAULT_PROVIDER)
    })

    it.each(PROVIDERS)('%s: multi-byte characters split across upstream writes arrive intact', async (provider) => {
      const prompt = `${PROMPT} [emu split chunks=40 sentences=6]`
      expectAnswer(
        await readGatewayStream(await post({ user_input: prompt, provider })),
        expectedAnswer(prompt, { provider }),
      )
      expect(only().scenario.split).toBe(true)
    })

    it.each(PROVIDERS)('%s: one-character pieces (chunks=400) arrive intact', async (provider) => {
      const prompt = `Hi [emu chunks=400]`
      expectAnswer(
        await readGatewayStream(await post({ user_input: prompt, provider })),
        expectedAnswer(prompt, { provider }),
      )
    })

    it('gemini: thought parts never reach the client', async () => {
      const prompt = `${PROMPT} [emu thoughts=3]`
      const s = await readGatewayStream(await post({ user_input: prompt, provider: 'gemini' }))
      expectAnswer(s, expectedAnswer(prompt, { provider: 'gemini' }))
      expect(s.raw).not.toContain('Thinking step')
    })

    it.each(PROVIDERS)('%s: a slow first token keeps the stream alive with ": ping" comments', async (provider) => {
      const prompt = `Slow [emu ttft=2200 sentences=2]`
      const s = await readGatewayStream(await post({ user_input: prompt, provider }))
      expectAnswer(s, expectedAnswer(prompt, { provider }))
      expect(s.comments.filter((line) => line === ': ping').length).toBeGreaterThan(0)
    })

    it.each(PROVIDERS)('%s: the status and headers arrive at once, before the first token', async (provider) => {
      const startedAt = performance.now()
      const res = await post({ user_input: 'Slow [emu ttft=1500 sentences=1]', provider })
      const headersAfter = performance.now() - startedAt
      expect(res.status).toBe(200)
      expect(headersAfter).toBeLessThan(1000)
      const s = await readGatewayStream(res)
      expect(s.last).toMatchObject({ chunk: '', done: true })
    })

    it.each(PROVIDERS)('%s: forwards model, system, earlier turns, temperature and max_tokens', async (provider) => {
      const model = provider === 'openai' ? 'gpt-4o-mini' : 'gemini-2.0-flash'
      const res = await post({
        user_input: 'And now?',
        provider,
        model,
        system: 'Answer briefly.',
        messages: [
          { role: 'user', content: 'First question' },
          { role: 'assistant', content: 'First answer' },
        ],
        temperature: 0.3,
        max_tokens: 321,
      })
      expectAnswer(await readGatewayStream(res), expectedAnswer('And now?', { provider }))
      const e = only()
      expect(e.model).toBe(model)
      const body = e.body as Record<string, any>
      if (provider === 'openai') {
        expect(body.model).toBe(model)
        expect(body.stream).toBe(true)
        expect(body.messages).toEqual([
          { role: expect.stringMatching(/^(system|developer)$/), content: 'Answer briefly.' },
          { role: 'user', content: 'First question' },
          { role: 'assistant', content: 'First answer' },
          { role: 'user', content: 'And now?' },
        ])
        expect(body.temperature).toBe(0.3)
        expect(body.max_tokens ?? body.max_completion_tokens).toBe(321)
      } else {
        expect(e.path).toBe(`/v1beta/models/${model}:streamGenerateContent`)
        const sys = body.systemInstruction ?? body.system_instruction
        expect(sys.parts).toEqual([{ text: 'Answer briefly.' }])
        expect(body.contents).toEqual([
          { role: 'user', parts: [{ text: 'First question' }] },
          { role: 'model', parts: [{ text: 'First answer' }] },
          { role: 'user', parts: [{ text: 'And now?' }] },
        ])
        const gen = body.generationConfig ?? body.generation_config
        expect(gen.temperature).toBe(0.3)
        expect(gen.maxOutputTokens ?? gen.max_output_tokens).toBe(321)
      }
    })

    it('serves five concurrent streams, each exact', async () => {
      const jobs = Array.from({ length: 5 }, (_, i) => {
        const provider = PROVIDERS[i % 2]!
        const prompt = `Concurrent ${i} 🚀 [emu delay=5 chunks=${20 + i}]`
        return post({ user_input: prompt, provider })
          .then(readGatewayStream)
          .then((s) => expectAnswer(s, expectedAnswer(prompt, { provider })))
      })
      await Promise.all(jobs)
      expect(upstream()).toHaveLength(5)
    })
  })

  describe('upstream faults end with an error event naming the provider', () => {
    const statusFaults = ['400', '401', '403', '404', '429', 'quota', '500', '503', 'badkey', 'nokey']
    const cases = PROVIDERS.flatMap((p) => statusFaults.map((f) => [p, f] as const))
    it.each(cases)('%s fault=%s (HTTP error before any byte)', async (provider, fault) => {
      const res = await post({ user_input: `Hi [emu fault=${fault}]`, provider })
      expectSseHeaders(res)
      expectError(await readGatewayStream(res), provider)
      expect(upstream().length).toBeGreaterThanOrEqual(1)
      expect(upstream().every((e) => (e.status ?? 0) >= 400)).toBe(true)
    })

    it.each(PROVIDERS)('%s: the model is not found (404) via the model name', async (provider) => {
      const model = provider === 'openai' ? 'gpt-does-not-exist' : 'gemini-does-not-exist'
      expectError(await readGatewayStream(await post({ user_input: 'Hi', provider, model })), provider)
      expect(upstream()[0]).toMatchObject({ status: 404, model })
    })

    it.each(PROVIDERS)(
      '%s: a fault chosen through the model name (@emu:fault-429) reaches the emulator',
      async (provider) => {
        const model = `${DEFAULT_MODEL[provider]}@emu:fault-429`
        expectError(await readGatewayStream(await post({ user_input: 'Hi', provider, model })), provider)
        expect(upstream()[0]).toMatchObject({ status: 429, model, scenario: { fault: '429' } })
      },
    )

    const midstream = PROVIDERS.flatMap((p) =>
      (['drop', 'malformed', 'midstream'] as const).map((f) => [p, f] as const),
    )
    it.each(midstream)('%s fault=%s after 3 pieces: the pieces, then the error', async (provider, fault) => {
      const prompt = `${PROMPT} [emu fault=${fault} after=3]`
      const s = await readGatewayStream(await post({ user_input: prompt, provider }))
      expectError(s, provider, expectedPrefix(prompt, { provider }))
    })

    it.each(PROVIDERS)('%s fault=stall: the idle timeout ends the stream and closes the upstream', async (provider) => {
      const prompt = `${PROMPT} [emu fault=stall after=2]`
      const started = Date.now()
      const s = await readGatewayStream(await post({ user_input: prompt, provider }))
      expectError(s, provider, expectedPrefix(prompt, { provider }))
      // Came from the idle timeout, not at once (workerd's clock only advances on I/O, so allow slack).
      expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS * 0.8)
      const e = await emu.waitForRequest((r) => r.clientClosedEarly, 2000)
      expect(e.outcome).toBe('stall')
    })

    it('gemini: a blocked prompt (HTTP 200, no candidates) is an error, not an empty answer', async () => {
      const s = await readGatewayStream(await post({ user_input: 'Hi [emu fault=blocked]', provider: 'gemini' }))
      expectError(s, 'gemini')
    })

    it.each(PROVIDERS)('%s fault=safety: the pieces, then an error event that says why', async (provider) => {
      const prompt = `${PROMPT} [emu fault=safety after=2]`
      const s = await readGatewayStream(await post({ user_input: prompt, provider }))
      expect(s.text).toBe(expectedPrefix(prompt, { provider }))
      expect(s.last?.done).toBe(true)
      expect(s.last?.error).toMatch(NAME[provider])
      expect(s.last?.error).toMatch(
        provider === 'gemini'
          ? /safety filters \(finish reason SAFETY\)/
          : /content filter \(finish reason content_filter\)/,
      )
    })

    it('openai fault=refusal: the refusal text streams as chunks, and the done event says refusal', async () => {
      const s = await readGatewayStream(await post({ user_input: 'Hi [emu fault=refusal]', provider: 'openai' }))
      expectAnswer(s, expectedRefusal('Hi'))
      expect(s.last).toMatchObject({ done: true, finish_reason: 'refusal' })
    })
  })

  describe('a client that leaves (resumable: the answer goes on for RESUME_GRACE_MS)', () => {
    it.each(PROVIDERS)(
      '%s: the upstream connection closes within 1 s after the grace, not before (POST)',
      async (provider) => {
        const controller = new AbortController()
        const res = await fetch(`${base}/api/stream/chat`, {
          ...json({ user_input: 'Long [emu chunks=80 delay=100]', provider }),
          signal: controller.signal,
        })
        await readUntil(res, (_e, all) => all.length >= 3)
        const leftAt = Date.now()
        controller.abort()
        const e = await emu.waitForRequest((r) => r.clientClosedEarly, GRACE_MS + 3000)
        expect(e.clientClosedAt! - leftAt).toBeGreaterThanOrEqual(GRACE_MS)
        expect(e.clientClosedAt! - leftAt).toBeLessThan(GRACE_MS + 1000)
        expect(e.chunksSent).toBeLessThan(80)
      },
    )

    it('gemini: the same for GET /api/stream/chat-get', async () => {
      const controller = new AbortController()
      const res = await fetch(
        `${base}/api/stream/chat-get?${new URLSearchParams({ user_input: 'Long [emu chunks=80 delay=100]', provider: 'gemini' })}`,
        { signal: controller.signal },
      )
      await readUntil(res, (_e, all) => all.length >= 2)
      const leftAt = Date.now()
      controller.abort()
      const e = await emu.waitForRequest((r) => r.clientClosedEarly, GRACE_MS + 3000)
      expect(e.clientClosedAt! - leftAt).toBeGreaterThanOrEqual(GRACE_MS)
      expect(e.clientClosedAt! - leftAt).toBeLessThan(GRACE_MS + 1000)
    })
  })

  describe('resumable streams', () => {
    const RESUME_WAYS = [
      'chat-get + Last-Event-ID',
      'POST chat + Last-Event-ID',
      'GET /api/streams/{id}?last_event_id=',
    ] as const

    it.each(RESUME_WAYS)(
      'drop after 3 events, resume by %s: exactly the rest of the same answer, one upstream request',
      async (way) => {
        const prompt = `Resume me [emu chunks=30 delay=60]`
        const query = `${base}/api/stream/chat-get?${new URLSearchParams({ user_input: prompt, provider: 'openai' })}`
        const body = { user_input: prompt, provider: 'openai' }
        const controller = new AbortController()
        const res = way.startsWith('POST')
          ? await fetch(`${base}/api/stream/chat`, { ...json(body), signal: controller.signal })
          : await fetch(query, { signal: controller.signal })
        expectSseHeaders(res)
        const streamId = res.headers.get('x-stream-id')!
        expect(streamId).toMatch(/^[A-Za-z0-9_-]{24}$/)
        const first = await readUntil(res, (_e, all) => all.length >= 3)
        controller.abort()
        expect(first.lastEventId).toBe(`${streamId}:3`)
        const header = { 'last-event-id': first.lastEventId! }
        const resumed =
          way === 'chat-get + Last-Event-ID'
            ? await fetch(query, { headers: header })
            : way === 'POST chat + Last-Event-ID'
              ? await fetch(`${base}/api/stream/chat`, {
                  ...json(body),
                  headers: { ...header, 'content-type': 'application/json' },
                })
              : await fetch(`${base}/api/streams/${streamId}?last_event_id=3`)
        expectSseHeaders(resumed)
        expect(resumed.headers.get('x-stream-id')).toBe(streamId)
        const rest = await readGatewayStream(resumed)
        expect(rest.retry).toBe(true)
        expect(rest.ids[0]).toBe(`${streamId}:4`)
        // What the client got before the drop plus the resumed rest is one well-formed stream with the whole answer.
        const whole = parseGatewayStream(first.raw! + rest.raw.slice('retry: 1000\n\n'.length))
        expectAnswer(whole, expectedAnswer(prompt, { provider: 'openai' }))
        expect(only()).toMatchObject({ provider: 'openai', clientClosedEarly: false, outcome: 'ok' })
      },
    )

    it('a finished stream: its last id gets 204 and an earlier one a replay; an unknown id gets 204 (or 404 JSON) and starts nothing', async () => {
      const url = `${base}/api/stream/chat-get?${new URLSearchParams({ user_input: 'Hi', provider: 'gemini' })}`
      const res = await fetch(url)
      const streamId = res.headers.get('x-stream-id')!
      const s = await readGatewayStream(res)
      expectAnswer(s, expectedAnswer('Hi', { provider: 'gemini' }))
      const lastId = s.ids.at(-1)!
      expect((await fetch(url, { headers: { 'last-event-id': lastId } })).status).toBe(204)
      expect((await fetch(`${base}/api/streams/${streamId}`, { headers: { 'last-event-id': lastId } })).status).toBe(
        204,
      )
      const replay = await readGatewayStream(await fetch(`${base}/api/streams/${streamId}`))
      expect(replay.events).toEqual(s.events)
      expect(replay.ids).toEqual(s.ids)
      expect(upstream()).toHaveLength(1)

      emu.clearRequests()
      const unknown = 'AAAAAAAAAAAAAAAAAAAAAAAA'
      expect((await fetch(url, { headers: { 'last-event-id': `${unknown}:2` } })).status).toBe(204)
      expect(
        (
          await fetch(`${base}/api/stream/chat`, {
            ...json({ user_input: 'Hi' }),
            headers: { 'content-type': 'application/json', 'last-event-id': 'nonsense' },
          })
        ).status,
      ).toBe(204)
      const missing = await fetch(`${base}/api/streams/${unknown}`)
      expect(missing.status).toBe(404)
      expect(((await missing.json()) as { error: string }).error).toMatch(
        /^stream_id: no stream "A{24}": it is unknown or expired/,
      )
      expect((await fetch(`${base}/api/streams/${unknown}`, { method: 'DELETE' })).status).toBe(404)
      expect(upstream()).toHaveLength(0)
    })

    it.each(PROVIDERS)(
      '%s: DELETE closes the upstream within 1 s and the listener gets finish_reason "cancelled"',
      async (provider) => {
        const res = await post({ user_input: 'Long [emu chunks=80 delay=100]', provider })
        const streamId = res.headers.get('x-stream-id')!
        let deletedAt = 0
        let deleted: Promise<Response> | undefined
        const events = await readUntil(res, (_e, all) => {
          if (all.length === 2) {
            deletedAt = Date.now()
            deleted = fetch(`${base}/api/streams/${streamId}`, { method: 'DELETE' })
            // Awaited only once the stream has ended: mark it handled now, so that a rejection meanwhile
            // fails the test at `await deleted` instead of being reported as an unhandled rejection.
            deleted.catch(() => {})
          }
          return false
        })
        expect((await deleted!).status).toBe(204)
        expect(events.at(-1)).toEqual({
          chunk: '',
          done: true,
          provider,
          model: DEFAULT_MODEL[provider],
          finish_reason: 'cancelled',
          attempts: 1,
          // The upstream had answered (two pieces came): its timing, as in the log line.
          timing: expect.toSatisfy(isAnswerTiming),
          request_id: res.headers.get('x-request-id'),
        })
        const e = await emu.waitForRequest((r) => r.clientClosedEarly, 3000)
        expect(e.clientClosedAt! - deletedAt).toBeLessThan(1000)
        expect(e.chunksSent).toBeLessThan(80)
      },
    )

    it('two listeners each get every event exactly once, in order', async () => {
      const prompt = 'Two tabs [emu chunks=30 delay=50]'
      const res = await post({ user_input: prompt, provider: 'gemini' })
      const second = await fetch(`${base}/api/streams/${res.headers.get('x-stream-id')}`)
      const [a, b] = await Promise.all([readGatewayStream(res), readGatewayStream(second)])
      expectAnswer(a, expectedAnswer(prompt, { provider: 'gemini' }))
      expectAnswer(b, expectedAnswer(prompt, { provider: 'gemini' }))
      expect(b.ids).toEqual(a.ids)
      expect(only().clientClosedEarly).toBe(false)
    })
  })

  describe('RESUMABLE=off: the direct path, as before', () => {
    let direct: RunningGateway
    beforeAll(async () => {
      direct = await startGateway({ runtime, upstreamUrl: emu.url, vars: { RESUMABLE: 'off' } })
    }, 120_000)
    afterAll(async () => {
      await direct?.stop()
    })

    it('no retry:, no id:, no X-Stream-Id; Last-Event-ID is ignored; /api/streams is 404', async () => {
      const url = `${direct.url}/api/stream/chat-get?${new URLSearchParams({ user_input: PROMPT, provider: 'openai' })}`
      const res = await fetch(url, { headers: { 'last-event-id': 'AAAAAAAAAAAAAAAAAAAAAAAA:3' } })
      expect(res.headers.get('x-stream-id')).toBeNull()
      const s = await readGatewayStream(res)
      // Bun's direct path opens with `: open` (it holds the headers until the first body bytes).
      expect(s.raw).toMatch(runtime === 'bun' ? /^: open\n\ndata: \{"chunk":/ : /^data: \{"chunk":/)
      expect(s.retry).toBe(false)
      expect(s.ids.every((id) => id === undefined)).toBe(true)
      expectAnswer(s, expectedAnswer(PROMPT, { provider: 'openai' }))
      expect(only()).toMatchObject({ provider: 'openai', outcome: 'ok' })
      expect((await fetch(`${direct.url}/api/streams/AAAAAAAAAAAAAAAAAAAAAAAA`)).status).toBe(404)
    })

    it('a client that leaves: the upstream connection closes within 1 s', async () => {
      const controller = new AbortController()
      const res = await fetch(`${direct.url}/api/stream/chat`, {
        ...json({ user_input: 'Long [emu chunks=80 delay=100]', provider: 'gemini' }),
        signal: controller.signal,
      })
      await readUntil(res, (_e, all) => all.length >= 3)
      const leftAt = Date.now()
      controller.abort()
      const e = await emu.waitForRequest((r) => r.clientClosedEarly, 3000)
      expect(e.clientClosedAt! - leftAt).toBeLessThan(1000)
      expect(e.chunksSent).toBeLessThan(80)
    })
  })

  describe('input validation (400 JSON, no upstream call)', () => {
    const bad: [string, () => Promise<Response>, RegExp][] = [
      ['POST without user_input', () => post({ provider: 'openai' }), /user_input/],
      ['POST with empty user_input', () => post({ user_input: '   ' }), /user_input/],
      ['POST with an unknown provider', () => post({ user_input: 'Hi', provider: 'claude' }), /provider/],
      ['POST with temperature 3', () => post({ user_input: 'Hi', temperature: 3 }), /temperature/],
      ['POST with user_input over MAX_INPUT_CHARS', () => post({ user_input: 'x'.repeat(2001) }), /user_input|input/],
      [
        'POST with a broken JSON body',
        () =>
          fetch(`${base}/api/stream/chat`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{"user_input": ',
          }),
        /json|body/i,
      ],
      ['GET without user_input', () => fetch(`${base}/api/stream/chat-get?provider=gemini`), /user_input/],
      ['GET with an unknown provider', () => get({ user_input: 'Hi', provider: 'nope' }), /provider/],
    ]
    it.each(bad)('%s', async (_name, send, mentions) => {
      const res = await send()
      expect(res.status).toBe(400)
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      const body = (await res.json()) as { error?: unknown }
      expect(typeof body.error).toBe('string')
      expect(body.error as string).toMatch(mentions)
      expect(upstream()).toHaveLength(0)
    })
  })

  describe('CORS', () => {
    it('answers the preflight for POST /api/stream/chat', async () => {
      const res = await fetch(`${base}/api/stream/chat`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://example.test',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      })
      expect([200, 204]).toContain(res.status)
      expect(['*', 'http://example.test']).toContain(res.headers.get('access-control-allow-origin'))
      expect(res.headers.get('access-control-allow-methods') ?? '').toMatch(/POST/i)
      expect(res.headers.get('access-control-allow-headers') ?? '').toMatch(/content-type/i)
      expect(upstream()).toHaveLength(0)
    })

    it('labels the stream itself for cross-origin readers', async () => {
      const res = await fetch(`${base}/api/stream/chat-get?user_input=Hi&provider=openai`, {
        headers: { origin: 'http://example.test' },
      })
      expect(['*', 'http://example.test']).toContain(res.headers.get('access-control-allow-origin'))
      expectAnswer(await readGatewayStream(res), expectedAnswer('Hi', { provider: 'openai' }))
    })
  })

  describe('other endpoints', () => {
    it('GET /health is JSON and does not leak the keys', async () => {
      const res = await fetch(`${base}/health`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      const text = await res.text()
      expect(() => JSON.parse(text)).not.toThrow()
      expect(text).not.toContain('emu-key')
    })

    it('GET /openapi.json documents the endpoints', async () => {
      const res = await fetch(`${base}/openapi.json`)
      expect(res.status).toBe(200)
      const doc = (await res.json()) as { openapi?: string; paths?: Record<string, unknown> }
      expect(doc.openapi).toMatch(/^3\./)
      expect(Object.keys(doc.paths ?? {})).toEqual(
        expect.arrayContaining([
          '/api/stream/chat',
          '/api/stream/chat-get',
          '/api/stream/sse',
          '/api/flows/ask',
          '/health',
        ]),
      )
    })

    it('GET /docs is an HTML page that loads /openapi.json', async () => {
      const res = await fetch(`${base}/docs`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^text\/html/)
      expect(await res.text()).toContain('openapi.json')
    })

    it('GET /test_stream.html serves the static test client', async () => {
      const res = await fetch(`${base}/test_stream.html`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^text\/html/)
      expect(await res.text()).toMatch(/<html/i)
    })

    it('GET /test_stream*.js serves every script of the test client as JavaScript; a missing one is a 404', async () => {
      const scripts = pageScripts()
      expect(scripts.at(-1)).toBe('test_stream.js')
      expect([...scripts].sort()).toEqual(staticScripts())
      for (const name of scripts) {
        const res = await fetch(`${base}/${name}`)
        expect(res.status, name).toBe(200)
        expect(res.headers.get('content-type'), name).toMatch(/javascript/)
        // nosniff: the browser runs a script only when it is served with a JavaScript type.
        expect(res.headers.get('x-content-type-options'), name).toBe('nosniff')
        await res.arrayBuffer()
      }
      for (const path of ['/test_stream_missing.js', '/test_stream.js.bak', '/static/test_stream.js']) {
        const res = await fetch(`${base}${path}`)
        expect(res.status, path).toBe(404)
        await res.arrayBuffer()
      }
    })

    it('GET /api/stream/sse streams the demo events, done last', async () => {
      const res = await fetch(`${base}/api/stream/sse`)
      expectSseHeaders(res)
      const s = await readGatewayStream(res)
      expect(s.events.length).toBeGreaterThanOrEqual(2)
      for (const e of s.events.slice(0, -1)) expect(e).toEqual({ chunk: expect.any(String), done: false })
      expect(s.last).toMatchObject({ done: true })
      expect(s.last?.error).toBeUndefined()
      expect(upstream()).toHaveLength(0)
    })

    it.each([undefined, ...PROVIDERS])(
      'POST /api/flows/ask (provider %s) answers JSON {response}',
      async (provider) => {
        const res = await fetch(
          `${base}/api/flows/ask`,
          json({ user_input: 'Hello', ...(provider ? { provider } : {}) }),
        )
        expect(res.status).toBe(200)
        const body = (await res.json()) as { response?: unknown }
        expect(body.response).toBe(expectedAnswer('Hello', { provider: provider ?? DEFAULT_PROVIDER }))
      },
    )
  })

  describe("the original guide's clients", () => {
    const curl = async (...args: string[]) =>
      (await run('curl', ['-sS', '--max-time', '30', ...args], { encoding: 'utf8', maxBuffer: 1 << 24 })).stdout

    it("curl -X POST /api/stream/chat (the guide's Vietnamese example)", async () => {
      const out = await curl(
        '-X',
        'POST',
        `${base}/api/stream/chat`,
        '-H',
        'Content-Type: application/json',
        '-d',
        '{\n    "user_input": "Xin chào, bạn có khỏe không?",\n    "provider": "gemini"\n  }',
      )
      expectAnswer(parseGatewayStream(out), expectedAnswer('Xin chào, bạn có khỏe không?', { provider: 'gemini' }))
    })

    it('curl "/api/stream/chat-get?user_input=Hello&provider=openai"', async () => {
      expectAnswer(
        parseGatewayStream(await curl(`${base}/api/stream/chat-get?user_input=Hello&provider=openai`)),
        expectedAnswer('Hello', { provider: 'openai' }),
      )
    })

    it('curl /health, /api/stream/sse and POST /api/flows/ask', async () => {
      const health = await curl(`${base}/health`)
      expect(() => JSON.parse(health)).not.toThrow()
      expect(parseGatewayStream(await curl(`${base}/api/stream/sse`)).last).toMatchObject({ done: true })
      const ask = JSON.parse(
        await curl(
          '-X',
          'POST',
          `${base}/api/flows/ask`,
          '-H',
          'Content-Type: application/json',
          '-d',
          '{"user_input": "Hello"}',
        ),
      )
      expect(ask.response).toBe(expectedAnswer('Hello', { provider: DEFAULT_PROVIDER }))
    })

    it('the Python requests client prints the whole answer, then "✅ Done!"', async () => {
      const hasRequests = await run('python3', ['-c', 'import requests']).then(
        () => true,
        () => false,
      )
      const script = hasRequests
        ? `import requests
import json

url = "${base}/api/stream/chat-get"
params = {
    "user_input": "Giải thích về AI",
    "provider": "gemini"
}

response = requests.get(url, params=params, stream=True)

for line in response.iter_lines():
    if line:
        line = line.decode('utf-8')
        if line.startswith('data: '):
            data = json.loads(line[6:])
            if not data.get('done'):
                print(data['chunk'], end='', flush=True)
            else:
                print("\\n✅ Done!")
                break
`
        : // The same client without the requests package: urllib, reading line by line.
          `import json, urllib.parse, urllib.request

url = "${base}/api/stream/chat-get?" + urllib.parse.urlencode({"user_input": "Giải thích về AI", "provider": "gemini"})
with urllib.request.urlopen(url) as response:
    for raw in response:
        line = raw.decode('utf-8').rstrip('\\n')
        if line.startswith('data: '):
            data = json.loads(line[6:])
            if not data.get('done'):
                print(data['chunk'], end='', flush=True)
            else:
                print("\\n✅ Done!")
                break
`
      const dir = mkdtempSync(join(tmpdir(), 'guide-client-'))
      try {
        writeFileSync(join(dir, 'client.py'), script)
        const { stdout } = await run('python3', [join(dir, 'client.py')], {
          encoding: 'utf8',
          env: { ...process.env, PYTHONIOENCODING: 'utf-8' },
          timeout: 30_000,
        })
        expect(stdout).toBe(`${expectedAnswer('Giải thích về AI', { provider: 'gemini' })}\n✅ Done!\n`)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  })
})

// Issue 8: access, limits, model policy, request ids and security headers, on every runtime.
for (const runtime of RUNTIMES) if (runtimeAvailable(runtime)) securitySuite(runtime)
