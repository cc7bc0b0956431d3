/**
 * Black-box proof that MAX_UPSTREAM_EVENT_BYTES bounds one upstream SSE line or event on the real
 * gateway processes (wrangler dev, Bun, Node), as test/worker/upstream-limits.test.ts proves inside
 * workerd. A hostile upstream (node:http, below) answers both providers with "Hi" and then either a
 * line that never ends (up to 128 MiB at full speed, then silence with the connection open), or one
 * complete event twice the limit, or one just over it that a single read completes. The client gets
 * exactly "Hi" and the oversize error; for the endless line the gateway closes the upstream within a
 * second, having let only a little of it through, and its memory (RSS of its process group, on Linux)
 * stays flat. Events under the limit pass whole. Each runtime runs twice: resumable streams (the
 * default) and RESUMABLE=off.
 *
 * Narrow the runtimes with GATEWAY_RUNTIMES=workers (or bun,node). GATEWAY_LOG=1 shows the gateways' output.
 */
import { randomUUID } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  RUNTIME_ENTRY,
  runtimeAvailable,
  startGateways,
  type RunningGateway,
  type Runtime,
} from '../support/gateway.ts'
import { readGatewayStream } from '../support/sse.ts'

type Provider = 'openai' | 'gemini'
type Mode = 'endless' | 'oversize' | 'straddle' | 'fits'
const PROVIDERS: Provider[] = ['openai', 'gemini']
const LIMIT = 64 * 1024
/** How much of the endless line the upstream offers before it goes quiet (the gateway should take ~LIMIT). */
const ENDLESS_BYTES = 128 * 1024 * 1024
const MiB = 1024 * 1024
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const wanted = (process.env.GATEWAY_RUNTIMES ?? 'workers,bun,node').split(',').map((s) => s.trim())
const RUNTIMES = (['workers', 'bun', 'node'] as Runtime[]).filter((r) => wanted.includes(r))

/** One SSE event with text, a finishing event, as each provider frames them. */
const textEvent = (provider: Provider, text: string) =>
  provider === 'openai'
    ? `data: {"choices":[{"index":0,"delta":{"content":"${text}"},"finish_reason":null}]}\n\n`
    : `data: {"candidates": [{"content": {"parts": [{"text": "${text}"}],"role": "model"}}]}\r\n\r\n`
const finishEvents = (provider: Provider) =>
  provider === 'openai'
    ? 'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'
    : 'data: {"candidates": [{"content": {"parts": [{"text": ""}],"role": "model"},"finishReason": "STOP"}]}\r\n\r\n'

/** Events with long chunks shortened, so that a failure prints a readable diff (the comparison stays exact). */
const brief = (events: Record<string, unknown>[]) =>
  events.map((e) =>
    typeof e.chunk === 'string' && e.chunk.length > 80
      ? { ...e, chunk: `${e.chunk.slice(0, 20)}… (${e.chunk.length} chars, ${new Set(e.chunk).size} distinct)` }
      : e,
  )

const oversize = (provider: Provider) =>
  `${provider}: the provider sent an event larger than ${LIMIT} bytes (MAX_UPSTREAM_EVENT_BYTES), so the answer was stopped. The answer is incomplete; check that ${provider.toUpperCase()}_BASE_URL points at the real API.`

interface UpstreamCall {
  provider: Provider
  /** Bytes the upstream handed to its socket. */
  written: number
  /** When the gateway closed the connection before the upstream ended the response. */
  closedEarlyAt?: number
}

/**
 * The hostile upstream: `POST /v1/chat/completions` (OpenAI) and `POST /v1beta/models/<model>:streamGenerateContent`
 * (Gemini); the model name `<mode>-<anything>` picks what it sends. Writes respect backpressure.
 */
async function startHostileUpstream() {
  const calls = new Map<string, UpstreamCall>()
  const server: Server = createServer(async (req, res) => {
    let body = ''
    for await (const piece of req) body += piece
    const path = new URL(req.url ?? '/', 'http://upstream').pathname
    const gemini = /^\/v1beta\/models\/([^/]+):streamGenerateContent$/.exec(path)
    const provider: Provider | undefined =
      req.method !== 'POST' ? undefined : path === '/v1/chat/completions' ? 'openai' : gemini ? 'gemini' : undefined
    if (!provider) return void res.writeHead(404).end()
    const model: string = provider === 'openai' ? JSON.parse(body).model : decodeURIComponent(gemini![1]!)
    const call: UpstreamCall = { provider, written: 0 }
    calls.set(model, call)
    let closed = false
    res.on('close', () => {
      closed = true
      if (!res.writableFinished) call.closedEarlyAt = Date.now()
    })
    const write = (text: string) =>
      new Promise<boolean>((resolve) => {
        if (closed) return resolve(false)
        call.written += text.length
        if (res.write(text)) return setImmediate(() => resolve(!closed))
        const go = () => {
          res.off('drain', go).off('close', go)
          resolve(!closed)
        }
        res.on('drain', go).on('close', go)
      })
    const writeSliced = async (text: string, size: number) => {
      for (let at = 0; at < text.length; at += size) if (!(await write(text.slice(at, at + size)))) return false
      return true
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    const mode = model.split('-')[0] as Mode
    if (mode === 'fits') {
      await writeSliced(textEvent(provider, 'c'.repeat(LIMIT / 2)) + finishEvents(provider), 1000)
      return void res.end()
    }
    await write(textEvent(provider, 'Hi'))
    if (mode === 'oversize') {
      if (await writeSliced(textEvent(provider, 'b'.repeat(2 * LIMIT)), 8192)) await write(finishEvents(provider))
      return void res.end()
    }
    if (mode === 'straddle') {
      // Just over the limit, in two writes each under it: the second completes the event in one read.
      const event = textEvent(provider, 'b'.repeat(LIMIT + 4096))
      if (await write(event.slice(0, LIMIT - 4096))) {
        await sleep(100)
        if (await write(event.slice(LIMIT - 4096))) await write(finishEvents(provider))
      }
      return void res.end()
    }
    // endless: one line that never ends, then silence with the connection open.
    const piece = 'a'.repeat(16 * 1024)
    if (await write('data: {"x":"')) while (call.written < ENDLESS_BYTES && (await write(piece))) {}
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => {
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** The resident memory of a process group (wrangler + workerd, or one Bun/Node process), in bytes; Linux only. */
function groupRss(pgid: number): number {
  let total = 0
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) !== pgid) continue
      total += Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024
    } catch {
      /* the process ended meanwhile */
    }
  }
  return total
}
const canMeasureRss = existsSync('/proc/self/stat')

describe.each(RUNTIMES)('MAX_UPSTREAM_EVENT_BYTES on %s (black box, hostile upstream)', (runtime) => {
  if (!runtimeAvailable(runtime)) {
    it.skip(`${runtime}: ${RUNTIME_ENTRY[runtime]} does not exist yet`, () => {})
    return
  }

  let upstream: Awaited<ReturnType<typeof startHostileUpstream>>
  const gateways: Partial<Record<'resumable' | 'direct', RunningGateway>> = {}

  beforeAll(async () => {
    upstream = await startHostileUpstream()
    const onOutput = process.env.GATEWAY_LOG ? (t: string) => process.stderr.write(t) : undefined
    // A short idle timeout ends a stream the bound failed to cut in seconds, not minutes.
    const vars = { MAX_UPSTREAM_EVENT_BYTES: String(LIMIT), RETRIES: '0', UPSTREAM_IDLE_TIMEOUT_MS: '5000' }
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

  for (const kind of ['resumable', 'direct'] as const) {
    describe(kind === 'resumable' ? 'resumable streams (default)' : 'RESUMABLE=off', () => {
      it.each(PROVIDERS)(
        '%s: an endless line is cut at the limit with an error event, the upstream closed within 1 s, memory flat',
        async (provider) => {
          const gw = gateways[kind]!
          const before = canMeasureRss ? groupRss(gw.pid) : 0
          let peak = before
          const sampler = setInterval(() => {
            if (canMeasureRss) peak = Math.max(peak, groupRss(gw.pid))
          }, 25)
          const startedAt = Date.now()
          const s = await stream(gw, provider, 'endless').finally(() => clearInterval(sampler))
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
