/**
 * Black-box proof that MAX_UPSTREAM_EVENT_BYTES bounds one upstream SSE line or event, and
 * MAX_STREAM_BYTES one resumable stream, on the real gateway processes (wrangler dev, Bun, Node), as
 * test/worker/upstream-limits.test.ts and test/worker/stream-bounds.test.ts prove inside workerd. A
 * hostile upstream (test/support/hostile-upstream.ts) answers both providers with "Hi" and then either a
 * line that never ends (up to 128 MiB at full speed, then silence with the connection open), or one
 * complete event twice the limit, or one just over it that a single read completes. The client gets
 * exactly "Hi" and the oversize error; for the endless line the gateway closes the upstream within a
 * second, having let only a little of it through, and its memory (RSS of its process group, on Linux)
 * stays flat. Events under the limit pass whole. Each runtime runs twice: resumable streams (the
 * default) and RESUMABLE=off.
 *
 * A flood of small valid events to a client that stops reading: a resumable stream reads on without the
 * client, so MAX_STREAM_BYTES (2 MiB here) must stop it, close the upstream and keep memory flat, and the
 * stream ends with the error naming it; with RESUMABLE=off, backpressure holds the upstream instead.
 *
 * Narrow the runtimes with GATEWAY_RUNTIMES=workers (or bun,node). GATEWAY_LOG=1 shows the gateways' output.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  RUNTIME_ENTRY,
  runtimeAvailable,
  startGateways,
  type RunningGateway,
  type Runtime,
} from '../support/gateway.ts'
import {
  FLOOD_TEXT,
  startHostileUpstream,
  type HostileUpstream,
  type Mode,
  type Provider,
} from '../support/hostile-upstream.ts'
import { sampleRss } from '../support/process-rss.ts'
import { isAnswerTiming, parseGatewayStream, readGatewayStream } from '../support/sse.ts'

const PROVIDERS: Provider[] = ['openai', 'gemini']
const LIMIT = 64 * 1024
/** How much of the endless line or flood the upstream offers before it goes quiet (the gateway should take far less). */
const ENDLESS_BYTES = 128 * 1024 * 1024
const MiB = 1024 * 1024
/** MAX_STREAM_BYTES of the gateways under test: small, so a flood reaches it in a fraction of a second. */
const MAX_STREAM_BYTES = 2 * MiB
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const wanted = (process.env.GATEWAY_RUNTIMES ?? 'workers,bun,node').split(',').map((s) => s.trim())
const RUNTIMES = (['workers', 'bun', 'node'] as Runtime[]).filter((r) => wanted.includes(r))

/** Events with long chunks shortened, so that a failure prints a readable diff (the comparison stays exact). */
const brief = (events: Record<string, unknown>[]) =>
  events.map((e) =>
    typeof e.chunk === 'string' && e.chunk.length > 80
      ? { ...e, chunk: `${e.chunk.slice(0, 20)}… (${e.chunk.length} chars, ${new Set(e.chunk).size} distinct)` }
      : e,
  )

const oversize = (provider: Provider) =>
  `${provider}: the provider sent an event larger than ${LIMIT} bytes (MAX_UPSTREAM_EVENT_BYTES), so the answer was stopped. The answer is incomplete; check that ${provider.toUpperCase()}_BASE_URL points at the real API.`
const tooLong = (provider: Provider) =>
  `${provider}: the answer grew past MAX_STREAM_BYTES (${MAX_STREAM_BYTES} bytes), so it was stopped. The answer is incomplete; ask for a shorter answer, or raise MAX_STREAM_BYTES if answers this long are expected.`

describe.each(RUNTIMES)('MAX_UPSTREAM_EVENT_BYTES, MAX_STREAM_BYTES on %s (black box)', (runtime) => {
  if (!runtimeAvailable(runtime)) {
    it.skip(`${runtime}: ${RUNTIME_ENTRY[runtime]} does not exist yet`, () => {})
    return
  }

  let upstream: HostileUpstream
  const gateways: Partial<Record<'resumable' | 'direct', RunningGateway>> = {}

  beforeAll(async () => {
    upstream = await startHostileUpstream({ limit: LIMIT, endlessBytes: ENDLESS_BYTES })
    const onOutput = process.env.GATEWAY_LOG ? (t: string) => process.stderr.write(t) : undefined
    // A short idle timeout ends a stream the bound failed to cut in seconds, not minutes.
    const vars = {
      MAX_UPSTREAM_EVENT_BYTES: String(LIMIT),
      MAX_STREAM_BYTES: String(MAX_STREAM_BYTES),
      RETRIES: '0',
      UPSTREAM_IDLE_TIMEOUT_MS: '5000',
    }
    ;[gateways.resumable, gateways.direct] = await startGateways([
      { runtime, upstreamUrl: upstream.url, onOutput, vars },
      { runtime, upstreamUrl: upstream.url, onOutput, vars: { ...vars, RESUMABLE: 'off' } },
    ])
  }, 180_000)
  afterAll(async () => {
    await Promise.all([gateways.resumable?.stop(), gateways.direct?.stop()])
    await upstream?.close()
  })

  /** Streams one answer whose upstream behaves as `mode`; the events (request_id checked and removed) and the call. */
  async function stream(gw: RunningGateway, provider: Provider, mode: Mode) {
    const model = `${mode}-${randomUUID().slice(0, 8)}`
    const res = await fetch(`${gw.url}/api/stream/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_input: 'Hi', provider, model }),
    })
    expect(res.status).toBe(200)
    const s = await readGatewayStream(res)
    const call = upstream.calls.get(model)
    expect(call, 'the upstream was never called').toBeDefined()
    return { ...s, call: call!, endedAt: Date.now() }
  }

  /** Opens a flood, reads its first three events, then stops reading: the connection stays open. */
  async function openFlood(gw: RunningGateway, provider: Provider) {
    const model = `flood-${randomUUID().slice(0, 8)}`
    const res = await fetch(`${gw.url}/api/stream/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_input: 'Hi', provider, model }),
    })
    expect(res.status).toBe(200)
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    let raw = ''
    while (raw.split('data: ').length <= 3) {
      const { value, done } = await reader.read()
      if (done) break
      raw += decoder.decode(value, { stream: true })
    }
    const call = upstream.calls.get(model)!
    /** The rest of the body, read now. */
    const readRest = async () => {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return raw
        raw += decoder.decode(value, { stream: true })
      }
    }
    return { res, reader, call, readRest }
  }

  /** Polls `probe` every 25 ms until it gives a value or `timeoutMs` passed. */
  async function until<T>(probe: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const value = probe()
      if (value !== undefined || Date.now() > deadline) return value
      await sleep(25)
    }
  }

  it.each(PROVIDERS)(
    '%s: resumable, a client that stops reading while the upstream floods: the upstream is closed at MAX_STREAM_BYTES, memory flat, the stream ends with the error naming it',
    async (provider) => {
      const gw = gateways.resumable!
      const rss = sampleRss(gw.pid)
      const flood = await openFlood(gw, provider)
      // The client reads nothing more: the gateway must stop reading the upstream by itself.
      const closedAt = await until(() => flood.call.closedEarlyAt, 20_000)
      const { before, peak } = rss.stop()
      expect(closedAt, `the gateway kept reading the upstream (${flood.call.written} bytes)`).toBeDefined()
      // Its bound (events of ~170 bytes upstream make events of ~170 bytes in the log) plus what the sockets
      // and the runtime buffer (4 to 12 MB in all, measured), far from the 128 MiB offered.
      expect(flood.call.written).toBeLessThan(MAX_STREAM_BYTES + 30 * MiB)
      expect(peak - before, `RSS grew from ${before} to ${peak} bytes`).toBeLessThan(64 * MiB)
      const s = parseGatewayStream(await flood.readRest())
      expect(s.events[0]).toEqual({ chunk: 'Hi', done: false })
      expect(s.events.slice(1, -1).every((e) => e.chunk === FLOOD_TEXT && e.done === false)).toBe(true)
      expect(s.last).toEqual({
        error: tooLong(provider),
        done: true,
        timing: expect.toSatisfy(isAnswerTiming),
        request_id: flood.res.headers.get('x-request-id'),
      })
      // The log went up to the bound: every event but the closing one, with its id, in MAX_STREAM_BYTES.
      const logged = s.raw
        .split('\n\n')
        .filter((block) => block.startsWith('id: '))
        .slice(0, -1)
      const bytes = new TextEncoder().encode(logged.map((block) => `${block}\n\n`).join('')).byteLength
      expect(bytes).toBeLessThanOrEqual(MAX_STREAM_BYTES)
      expect(bytes).toBeGreaterThan(MAX_STREAM_BYTES - 200)
    },
  )

  it('gemini: RESUMABLE=off, a client that stops reading while the upstream floods: backpressure holds the upstream', async () => {
    const flood = await openFlood(gateways.direct!, 'gemini')
    // Once the sockets' buffers are full the gateway reads no more: wait until nothing was written for 1 s.
    const deadline = Date.now() + 20_000
    for (let written = -1; flood.call.written !== written && Date.now() < deadline; ) {
      written = flood.call.written
      await sleep(1000)
    }
    // The sockets' buffers on both sides (Linux grows a receive buffer up to 32 MiB) and the runtime's:
    // 10 to 35 MB measured, where a gateway without backpressure takes all 128 MiB offered.
    expect(flood.call.written).toBeLessThan(64 * MiB)
    expect(flood.call.closedEarlyAt, 'the gateway gave up on a client that is still connected').toBeUndefined()
    await flood.reader.cancel()
    expect(await until(() => flood.call.closedEarlyAt, 5000), 'the upstream was left open').toBeDefined()
  })

  for (const kind of ['resumable', 'direct'] as const) {
    describe(kind === 'resumable' ? 'resumable streams (default)' : 'RESUMABLE=off', () => {
      it.each(PROVIDERS)(
        '%s: an endless line is cut at the limit with an error event, the upstream closed within 1 s, memory flat',
        async (provider) => {
          const rss = sampleRss(gateways[kind]!.pid)
          const startedAt = Date.now()
          const s = await stream(gateways[kind]!, provider, 'endless')
          const { before, peak } = rss.stop()
          expect(brief(s.events)).toEqual([
            { chunk: 'Hi', done: false },
            { error: oversize(provider), done: true },
          ])
          expect(s.endedAt - startedAt).toBeLessThan(5000)
          while (s.call.closedEarlyAt === undefined && Date.now() - s.endedAt < 1000) await sleep(10)
          expect(s.call.closedEarlyAt, 'the gateway left the upstream connection open').toBeDefined()
          // What the gateway let through: its limit plus what the sockets buffer, far from the 128 MiB offered.
          expect(s.call.written).toBeLessThan(32 * MiB)
          expect(peak - before, `RSS grew from ${before} to ${peak} bytes`).toBeLessThan(64 * MiB)
        },
      )

      it.each(PROVIDERS)('%s: one complete event larger than the limit is never passed on', async (provider) => {
        const s = await stream(gateways[kind]!, provider, 'oversize')
        expect(brief(s.events)).toEqual([
          { chunk: 'Hi', done: false },
          { error: oversize(provider), done: true },
        ])
      })

      it.each(PROVIDERS)(
        '%s: an event just over the limit, in two writes each under it, is never passed on',
        async (provider) => {
          const s = await stream(gateways[kind]!, provider, 'straddle')
          expect(brief(s.events)).toEqual([
            { chunk: 'Hi', done: false },
            { error: oversize(provider), done: true },
          ])
        },
      )

      it.each(PROVIDERS)('%s: an event under the limit passes whole, sent in 1000-byte writes', async (provider) => {
        const s = await stream(gateways[kind]!, provider, 'fits')
        expect(brief(s.events)).toEqual(
          brief([
            { chunk: 'c'.repeat(LIMIT / 2), done: false },
            {
              chunk: '',
              done: true,
              provider,
              model: expect.stringMatching(/^fits-/),
              finish_reason: 'stop',
              attempts: 1,
            },
          ]),
        )
      })
    })
  }
})
