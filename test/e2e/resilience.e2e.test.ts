/**
 * Black-box suite for retries, fallback and timeouts (issue 11): the real gateway process (wrangler
 * dev, Bun, Node) in front of the provider emulator, whose request log proves how many upstream
 * requests every case made. Two gateways per runtime share one emulator: one with retries and
 * `FALLBACK=openai`, one with retries off and short timeouts.
 *
 * Narrow the runtimes with GATEWAY_RUNTIMES=workers (or bun,node). GATEWAY_LOG=1 shows the
 * gateways' own output.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  expectedAnswer,
  expectedPrefix,
  startEmulator,
  type Emulator,
  type RequestLogEntry,
} from '../../emulator/server.ts'
import {
  RUNTIME_ENTRY,
  runtimeAvailable,
  startGateways,
  type RunningGateway,
  type Runtime,
} from '../support/gateway.ts'
import { readGatewayStream, type GatewayStream } from '../support/sse.ts'

type Provider = 'openai' | 'gemini'
const PROVIDERS: Provider[] = ['openai', 'gemini']
/** The model each emulated provider reports for the gateway's default model. */
const ANSWERED_BY: Record<Provider, string> = { openai: 'gpt-4.1-mini-2025-04-14', gemini: 'gemini-2.5-flash' }
const FIRST_TEXT_TIMEOUT_MS = 1000
const IDLE_TIMEOUT_MS = 1000
const MAX_DURATION_MS = 2500

const wanted = (process.env.GATEWAY_RUNTIMES ?? 'workers,bun,node').split(',').map((s) => s.trim())
const RUNTIMES = (['workers', 'bun', 'node'] as Runtime[]).filter((r) => wanted.includes(r))

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
})

/** The closing event of a whole answer; usage figures are the emulator's estimates. */
const doneEvent = (provider: Provider, attempts: number) => ({
  chunk: '',
  done: true,
  provider,
  model: ANSWERED_BY[provider],
  finish_reason: 'stop',
  usage: { prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number), total_tokens: expect.any(Number) },
  attempts,
})

/** Every event but the last is exactly a text piece, the pieces make `text`, and the last is `last`. */
function expectEvents(s: GatewayStream, text: string, last: Record<string, unknown>): void {
  for (const [i, e] of s.events.slice(0, -1).entries()) {
    expect(s.dataLines[i]).toBe(`data: ${JSON.stringify({ chunk: e.chunk, done: false })}`)
    expect(typeof e.chunk === 'string' && e.chunk.length > 0).toBe(true)
  }
  expect(s.text).toBe(text)
  expect(s.last, s.raw.slice(-600)).toEqual(last)
}

const firstText = (provider: Provider) =>
  `${provider}: the provider sent no text within 1 s (FIRST_TEXT_TIMEOUT_MS), so the request was stopped. Retry later.`
// The provider's own words (the request ID OpenAI's 503 quotes, say) go to the log line only, never to the client.
const SERVICE_UNAVAILABLE: Record<Provider, string> = {
  openai: 'openai: service unavailable or overloaded (HTTP 503). Retry in a few seconds.',
  gemini: 'gemini: service unavailable or overloaded (HTTP 503). Retry in a few seconds.',
}

const UNAUTHORISED: Record<Provider, string> = {
  openai: 'openai: invalid API key (HTTP 401). Check the OPENAI_API_KEY secret.',
  gemini: 'gemini: invalid API key (HTTP 401). Check the GEMINI_API_KEY secret.',
}

describe.each(RUNTIMES)('retries, fallback and timeouts on %s (black box, emulator upstream)', (runtime) => {
  if (!runtimeAvailable(runtime)) {
    it.skip(`${runtime}: ${RUNTIME_ENTRY[runtime]} does not exist yet`, () => {})
    return
  }

  let emu: Emulator
  /** RETRIES=2, FALLBACK=openai. */
  let retrying: RunningGateway
  /** RETRIES=0 and short timeouts. */
  let strict: RunningGateway

  beforeAll(async () => {
    emu = await startEmulator()
    const onOutput = process.env.GATEWAY_LOG ? (t: string) => process.stderr.write(t) : undefined
    ;[retrying, strict] = await startGateways([
      {
        runtime,
        upstreamUrl: emu.url,
        onOutput,
        vars: {
          RETRIES: '2',
          FALLBACK: 'openai',
          FIRST_TEXT_TIMEOUT_MS: String(FIRST_TEXT_TIMEOUT_MS),
          SSE_PING_INTERVAL_MS: '250',
        },
      },
      {
        runtime,
        upstreamUrl: emu.url,
        onOutput,
        vars: {
          RETRIES: '0',
          FIRST_TEXT_TIMEOUT_MS: String(FIRST_TEXT_TIMEOUT_MS),
          UPSTREAM_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
          MAX_DURATION_MS: String(MAX_DURATION_MS),
          SSE_PING_INTERVAL_MS: '250',
        },
      },
    ])
  }, 180_000)
  afterAll(async () => {
    await Promise.all([retrying?.stop(), strict?.stop()])
    await emu?.close()
  })
  beforeEach(() => emu.clearRequests())

  const stream = (gw: RunningGateway, body: unknown) =>
    fetch(`${gw.url}/api/stream/chat`, json(body)).then(readGatewayStream)
  /** What the emulator saw: [provider, attempt, status, outcome] per request, in arrival order. */
  const calls = (): [string, number | null, number | null, string | null][] =>
    emu.requests().map((e: RequestLogEntry) => [e.provider, e.attempt, e.status, e.outcome])
  /** Waits until every logged request has ended (the gateway closes an aborted one asynchronously). */
  const settled = async (count: number): Promise<RequestLogEntry[]> => {
    const deadline = Date.now() + 3000
    let log = emu.requests()
    while (!(log.length === count && log.every((e) => e.finishedAt !== null)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      log = emu.requests()
    }
    expect(log.map((e) => [e.provider, e.status, e.outcome, e.finishedAt !== null])).toHaveLength(count)
    expect(
      log.every((e) => e.finishedAt !== null),
      'an upstream request was still open 3 s later',
    ).toBe(true)
    return log
  }

  describe('retries before the first text', () => {
    it.each(PROVIDERS)('%s: a 503, then the answer: the whole answer with attempts: 2', async (provider) => {
      const prompt = `Retry me ${provider} [emu fail=1 status=503]`
      const s = await stream(retrying, { user_input: prompt, provider })
      expectEvents(s, expectedAnswer(prompt, { provider }), doneEvent(provider, 2))
      expect(calls()).toEqual([
        [provider, 1, 503, 'error'],
        [provider, 2, 200, 'ok'],
      ])
    })

    it.each(PROVIDERS)(
      '%s: a 429 with Retry-After: 1 waits about a second, with ": ping" comments meanwhile',
      async (provider) => {
        const prompt = `Rate limited ${provider} [emu fail=1 status=429 retry_after=1]`
        const started = Date.now()
        const s = await stream(retrying, { user_input: prompt, provider })
        const elapsed = Date.now() - started
        expectEvents(s, expectedAnswer(prompt, { provider }), doneEvent(provider, 2))
        expect(elapsed).toBeGreaterThanOrEqual(900)
        expect(elapsed).toBeLessThan(6000)
        const [first, second] = emu.requests()
        expect([first?.status, second?.status]).toEqual([429, 200])
        expect(second!.startedAt - first!.finishedAt!).toBeGreaterThanOrEqual(900)
        // Before the first event: the opening lines (`: open` on Bun, `retry: 1000` for a resumable stream), then pings.
        const beforeText = s.raw
          .slice(0, s.raw.search(/(^|\n)(id|data): /))
          .split('\n\n')
          .map((line) => line.trim())
          .filter(Boolean)
        expect(
          beforeText.filter((line) => line !== ': open' && line !== 'retry: 1000').every((line) => line === ': ping'),
        ).toBe(true)
        expect(beforeText.filter((line) => line === ': ping').length).toBeGreaterThanOrEqual(2)
      },
    )

    it.each(PROVIDERS)('%s: a 401 is not retried', async (provider) => {
      const s = await stream(retrying, {
        user_input: `Unauthorised ${provider} [emu fault=401]`,
        provider,
        fallback: false,
      })
      expect(s.events).toEqual([{ error: UNAUTHORISED[provider], done: true }])
      expect(calls()).toEqual([[provider, 1, 401, 'error']])
    })

    it.each(PROVIDERS)(
      '%s: a failure after the first piece is not retried (nor falls back): the pieces, then an error event',
      async (provider) => {
        const prompt = `Dropped ${provider} [emu fault=drop after=3]`
        const s = await stream(retrying, { user_input: prompt, provider })
        expectEvents(s, expectedPrefix(prompt, { provider }), {
          error: `${provider}: the connection to the provider closed before the answer was complete. The answer is incomplete; retry.`,
          done: true,
        })
        expect(s.events).toHaveLength(4)
        await settled(1)
        expect(calls()).toEqual([[provider, 1, 200, 'drop']])
      },
    )

    it.each(PROVIDERS)('%s: a first-text timeout stops the request and asks again', async (provider) => {
      const prompt = `Stalled once ${provider} [emu fail=1 hold=10000]`
      const started = Date.now()
      const s = await stream(retrying, { user_input: prompt, provider })
      expectEvents(s, expectedAnswer(prompt, { provider }), doneEvent(provider, 2))
      expect(Date.now() - started).toBeLessThan(5000)
      const [first, second] = await settled(2)
      expect(first).toMatchObject({ attempt: 1, status: 200, clientClosedEarly: true, chunksSent: 0 })
      expect(first!.clientClosedAt! - first!.startedAt).toBeGreaterThanOrEqual(FIRST_TEXT_TIMEOUT_MS * 0.9)
      expect(first!.clientClosedAt! - first!.startedAt).toBeLessThan(FIRST_TEXT_TIMEOUT_MS + 500)
      expect(second).toMatchObject({ attempt: 2, status: 200, outcome: 'ok', clientClosedEarly: false })
    })

    it('POST /api/flows/ask retries the same way and says attempts: 2', async () => {
      const prompt = 'Ask again [emu fail=1 status=500]'
      const res = await fetch(`${retrying.url}/api/flows/ask`, json({ user_input: prompt, provider: 'openai' }))
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({
        response: expectedAnswer(prompt, { provider: 'openai' }),
        provider: 'openai',
        model: ANSWERED_BY.openai,
        finish_reason: 'stop',
        usage: {
          prompt_tokens: expect.any(Number),
          completion_tokens: expect.any(Number),
          total_tokens: expect.any(Number),
        },
        attempts: 2,
      })
      expect(calls()).toEqual([
        ['openai', 1, 500, 'error'],
        ['openai', 2, 200, 'ok'],
      ])
    })
  })

  describe('fallback', () => {
    const down = 'gemini-2.5-flash@emu:fault-503'

    it('gemini down: its 3 attempts, then openai (FALLBACK) answers and the closing event names it', async () => {
      const prompt = 'Who answers?'
      const s = await stream(retrying, { user_input: prompt, provider: 'gemini', model: down })
      expectEvents(s, expectedAnswer(prompt, { provider: 'openai' }), doneEvent('openai', 4))
      expect(calls()).toEqual([
        ['gemini', 1, 503, 'error'],
        ['gemini', 2, 503, 'error'],
        ['gemini', 3, 503, 'error'],
        ['openai', 1, 200, 'ok'],
      ])
      expect(emu.requests()[3]).toMatchObject({ model: 'gpt-4.1-mini', prompt })
    })

    it('"fallback": false opts out: the gemini error, and openai is never asked', async () => {
      const s = await stream(retrying, { user_input: 'Only gemini', provider: 'gemini', model: down, fallback: false })
      expect(s.events).toEqual([{ error: SERVICE_UNAVAILABLE.gemini, done: true }])
      expect(calls()).toEqual([
        ['gemini', 1, 503, 'error'],
        ['gemini', 2, 503, 'error'],
        ['gemini', 3, 503, 'error'],
      ])
    })
  })

  describe('timeouts (RETRIES=0)', () => {
    it('POST /api/flows/ask against a stalled provider answers 504 within the first-text timeout', async () => {
      const started = Date.now()
      const res = await fetch(
        `${strict.url}/api/flows/ask`,
        json({ user_input: 'Stalled [emu ttft=10000]', provider: 'openai' }),
      )
      const elapsed = Date.now() - started
      expect(res.status).toBe(504)
      expect(await res.json()).toEqual({ error: firstText('openai'), request_id: res.headers.get('x-request-id') })
      expect(elapsed).toBeGreaterThanOrEqual(FIRST_TEXT_TIMEOUT_MS * 0.9)
      expect(elapsed).toBeLessThan(FIRST_TEXT_TIMEOUT_MS + 1500)
      const [e] = await settled(1)
      expect(e).toMatchObject({ clientClosedEarly: true, status: null })
    })

    it.each(PROVIDERS)(
      '%s: no text in time: the stream ends with the first-text message and the upstream is closed',
      async (provider) => {
        const s = await stream(strict, { user_input: `Silent ${provider} [emu hold=10000]`, provider })
        expect(s.events).toEqual([{ error: firstText(provider), done: true }])
        expect(s.comments.filter((line) => line === ': ping').length).toBeGreaterThanOrEqual(2)
        const [e] = await settled(1)
        expect(e).toMatchObject({ status: 200, chunksSent: 0, clientClosedEarly: true })
      },
    )

    it.each(PROVIDERS)('%s: silence after a piece: the idle message, the upstream closed', async (provider) => {
      const prompt = `Idle ${provider} [emu fault=stall after=2]`
      const s = await stream(strict, { user_input: prompt, provider })
      expectEvents(s, expectedPrefix(prompt, { provider }), {
        error: `${provider}: no data from the provider for 1 s (UPSTREAM_IDLE_TIMEOUT_MS), so the request was stopped. The answer is incomplete; retry later.`,
        done: true,
      })
      const [e] = await settled(1)
      expect(e).toMatchObject({ outcome: 'stall', clientClosedEarly: true })
    })

    it.each(PROVIDERS)(
      '%s: an answer that takes too long: the total-time message at MAX_DURATION_MS, the upstream closed',
      async (provider) => {
        const prompt = `Slow ${provider} [emu delay=150 chunks=60]`
        const started = Date.now()
        const s = await stream(strict, { user_input: prompt, provider })
        const elapsed = Date.now() - started
        expect(expectedAnswer(prompt, { provider }).startsWith(s.text)).toBe(true)
        expectEvents(s, s.text, {
          error: `${provider}: the answer took longer than 2.5 s (MAX_DURATION_MS), so the request was stopped. Ask for a shorter answer or retry.`,
          done: true,
        })
        expect(s.events.length).toBeGreaterThan(2)
        expect(elapsed).toBeGreaterThanOrEqual(MAX_DURATION_MS * 0.9)
        expect(elapsed).toBeLessThan(MAX_DURATION_MS + 1500)
        const [e] = await settled(1)
        expect(e!.clientClosedEarly).toBe(true)
        expect(e!.chunksSent).toBeLessThan(60)
      },
    )
  })
})
