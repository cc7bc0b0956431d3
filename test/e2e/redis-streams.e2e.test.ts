/**
 * Resumable streams across instances, black box: two Bun gateways and one Node gateway with the
 * same REDIS_URL (a real redis-server) behind a round-robin TCP proxy, the provider emulator as
 * upstream. Each request opens a connection of its own, so consecutive requests land on different
 * gateways (the proxy's counts say which). A stream cut on one gateway resumes on another with the
 * rest of the same answer, byte for byte; DELETE and the grace reach across; with Redis killed
 * every stream still reaches its own client, and once it is back streams resume across again.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectedAnswer, startEmulator, type Emulator } from '../../emulator/server.ts'
import { startGateways, type RunningGateway } from '../support/gateway.ts'
import { startRedis, type RunningRedis } from '../support/redis-server.ts'
import { parseGatewayStream } from '../support/sse.ts'
import { startRoundRobinProxy, type RoundRobinProxy } from '../support/tcp-proxy.ts'

const GRACE_MS = 1500
const RETRY = 'retry: 1000\n\n'

let emu: Emulator
let redis: RunningRedis
let gateways: readonly RunningGateway[]
let proxy: RoundRobinProxy

beforeAll(async () => {
  emu = await startEmulator()
  redis = await startRedis()
  const vars = { REDIS_URL: redis.url, RESUME_GRACE_MS: String(GRACE_MS) }
  gateways = await startGateways([
    { runtime: 'bun', upstreamUrl: emu.url, vars },
    { runtime: 'bun', upstreamUrl: emu.url, vars },
    { runtime: 'node', upstreamUrl: emu.url, vars },
  ])
  proxy = await startRoundRobinProxy(gateways.map((gw) => gw.port))
  await untilStoreOk(true)
}, 180_000)

afterAll(async () => {
  await proxy?.close()
  await Promise.all((gateways ?? []).map((gw) => gw.stop()))
  await redis?.stop()
  await emu?.close()
})

async function untilStoreOk(ok: boolean): Promise<void> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const states = await Promise.all(
      gateways.map(async (gw) => (await fetch(`${gw.url}/health`)).json() as Promise<{ ok: boolean }>),
    )
    if (states.every((state) => state.ok === ok)) return
    if (Date.now() > deadline) throw new Error(`/health never said ok:${ok} on all three: ${JSON.stringify(states)}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** A response read as it comes, on a connection of its own (through the proxy: the next gateway in turn). */
interface OpenResponse {
  status: number
  headers: IncomingHttpHeaders
  /** Which gateway the proxy sent it to. */
  gateway: number
  /** What arrived so far. */
  readonly text: string
  /** Waits until `done(text)` (or the end of the body), then returns the text so far. */
  until(done: (text: string) => boolean, timeoutMs?: number): Promise<string>
  /** The whole body. */
  rest(): Promise<string>
  /** The client goes away: the connection is destroyed. */
  cut(): void
}

function open(path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) {
  const before = [...proxy.connections]
  return new Promise<OpenResponse>((resolve, reject) => {
    const body = init.body === undefined ? undefined : JSON.stringify(init.body)
    const headers = { connection: 'close', ...(body ? { 'content-type': 'application/json' } : {}), ...init.headers }
    const req = httpRequest(`${proxy.url}${path}`, { method: init.method ?? 'GET', agent: false, headers }, (res) => {
      let text = ''
      let ended = false
      const waiters = new Set<() => void>()
      const wake = () => {
        for (const waiter of waiters) waiter()
      }
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        text += chunk
        wake()
      })
      res.on('end', () => {
        ended = true
        wake()
      })
      res.on('error', () => {})
      res.on('close', () => {
        ended = true
        wake()
      })
      const until = (done: (text: string) => boolean, timeoutMs = 15_000) =>
        new Promise<string>((settle, fail) => {
          const timer = setTimeout(
            () => fail(new Error(`${path}: waited ${timeoutMs} ms; got ${text.slice(-300)}`)),
            timeoutMs,
          )
          const check = () => {
            if (!done(text) && !ended) return
            clearTimeout(timer)
            waiters.delete(check)
            settle(text)
          }
          waiters.add(check)
          check()
        })
      const gateway = proxy.connections.findIndex((n, i) => n !== before[i])
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        gateway,
        get text() {
          return text
        },
        until,
        rest: () => until(() => false, 30_000),
        cut: () => req.destroy(),
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** The text up to the end of event `n` of the stream (`id: <stream id>:<n>`), or '' before it is all there. */
function throughEvent(text: string, streamId: string, n: number): string {
  const at = text.indexOf(`id: ${streamId}:${n}\n`)
  const end = at < 0 ? -1 : text.indexOf('\n\n', at)
  return end < 0 ? '' : text.slice(0, end + 2)
}

/** The answer's text in chat.completion.chunk frames. */
function completionText(text: string): string {
  let out = ''
  for (const line of text.split('\n')) {
    if (!line.startsWith('data: {')) continue
    const frame = JSON.parse(line.slice(6)) as { choices?: { delta?: { content?: string | null } }[] }
    out += frame.choices?.[0]?.delta?.content ?? ''
  }
  return out
}

const requestLines = (gw: RunningGateway): Record<string, unknown>[] =>
  [...gw.output().matchAll(/\{"event":"request".*\}/g)].map((match) => JSON.parse(match[0]) as Record<string, unknown>)

async function logLine(gw: RunningGateway, streamId: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const line = requestLines(gw).find((entry) => entry.stream_id === streamId)
    if (line) return line
    if (Date.now() > deadline) throw new Error(`no log line for stream ${streamId}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const ROUTES = [
  {
    path: '/api/stream/chat',
    body: (prompt: string) => ({ user_input: prompt, provider: 'openai' }),
    text: (whole: string) => parseGatewayStream(whole).text,
  },
  {
    path: '/v1/chat/completions',
    body: (prompt: string) => ({ model: 'gpt-4.1-mini', stream: true, messages: [{ role: 'user', content: prompt }] }),
    text: completionText,
  },
] as const

/** Starts a stream through the proxy, cuts it after 3 events, resumes it through the proxy (the next gateway). */
async function cutAndResume(route: (typeof ROUTES)[number], prompt: string) {
  const first = await open(route.path, { method: 'POST', body: route.body(prompt) })
  expect(first.status).toBe(200)
  const streamId = String(first.headers['x-stream-id'])
  const head = throughEvent(await first.until((text) => throughEvent(text, streamId, 3) !== ''), streamId, 3)
  first.cut()
  const resumed = await open(route.path, {
    method: 'POST',
    body: route.body(prompt),
    headers: { 'last-event-id': `${streamId}:3` },
  })
  expect(resumed.status).toBe(200)
  expect(resumed.headers['x-stream-id']).toBe(streamId)
  expect(resumed.gateway).not.toBe(first.gateway)
  const rest = await resumed.rest()
  expect(rest.startsWith(`${RETRY}id: ${streamId}:4\n`)).toBe(true)
  return { streamId, head, rest, first: first.gateway, resumed: resumed.gateway }
}

describe('resumable streams shared through Redis by two Bun gateways and one Node gateway', () => {
  it.each(ROUTES)(
    '$path: cut on one gateway, resumed through the proxy on another: the rest, exactly once; one upstream request',
    async (route) => {
      emu.clearRequests()
      const prompt = 'Resume me elsewhere 🚀 [emu chunks=30 delay=40]'
      const { streamId, head, rest, first } = await cutAndResume(route, prompt)
      const whole = head + rest.slice(RETRY.length)
      expect(route.text(whole)).toBe(expectedAnswer(prompt, { provider: 'openai' }))
      // Byte for byte what the first gateway has (its own replay of the whole stream).
      expect(await (await fetch(`${gateways[first]!.url}/api/streams/${streamId}`)).text()).toBe(whole)
      expect(emu.requests()).toHaveLength(1)
      expect(emu.requests()[0]).toMatchObject({ clientClosedEarly: false, outcome: 'ok' })
    },
  )

  it('DELETE through another gateway closes the upstream within a second; the listener gets the cancelled ending', async () => {
    emu.clearRequests()
    const stream = await open('/api/stream/chat', {
      method: 'POST',
      body: { user_input: 'Long [emu chunks=80 delay=100]', provider: 'gemini' },
    })
    const streamId = String(stream.headers['x-stream-id'])
    await stream.until((text) => throughEvent(text, streamId, 2) !== '')
    const deletedAt = Date.now()
    const deleted = await open(`/api/streams/${streamId}`, { method: 'DELETE' })
    expect(deleted.status).toBe(204)
    expect(deleted.gateway).not.toBe(stream.gateway)
    const closed = await emu.waitForRequest((entry) => entry.clientClosedEarly, 3000)
    expect(closed.clientClosedAt! - deletedAt).toBeLessThan(1000)
    expect(closed.chunksSent).toBeLessThan(80)
    const events = parseGatewayStream(await stream.rest()).events
    expect(events.at(-1)).toMatchObject({ done: true, finish_reason: 'cancelled' })
  })

  it('a client that never comes back: the answer is aborted after RESUME_GRACE_MS, not before, though the other gateways are up', async () => {
    emu.clearRequests()
    const stream = await open('/api/stream/chat', {
      method: 'POST',
      body: { user_input: 'Nobody returns [emu chunks=100 delay=100]', provider: 'openai' },
    })
    const streamId = String(stream.headers['x-stream-id'])
    await stream.until((text) => throughEvent(text, streamId, 2) !== '')
    const leftAt = Date.now()
    stream.cut()
    const closed = await emu.waitForRequest((entry) => entry.clientClosedEarly, GRACE_MS + 10_000)
    expect(closed.clientClosedAt! - leftAt).toBeGreaterThanOrEqual(GRACE_MS)
    expect(closed.chunksSent).toBeLessThan(100)
    expect(await logLine(gateways[stream.gateway]!, streamId)).toMatchObject({ outcome: 'client_left' })
  })

  it('Redis killed mid-stream: the stream finishes for its client, new requests are served, /health says so; back: resumes across again, no restart', async () => {
    const prompt = 'Through the outage [emu chunks=40 delay=50]'
    const stream = await open('/api/stream/chat', { method: 'POST', body: { user_input: prompt, provider: 'openai' } })
    const streamId = String(stream.headers['x-stream-id'])
    await stream.until((text) => throughEvent(text, streamId, 3) !== '')
    await redis.kill()
    try {
      await untilStoreOk(false)
      for (const gw of gateways) {
        expect(await (await fetch(`${gw.url}/health`)).json()).toMatchObject({ store: 'redis', ok: false })
      }
      expect(parseGatewayStream(await stream.rest()).text).toBe(expectedAnswer(prompt, { provider: 'openai' }))
      expect(await logLine(gateways[stream.gateway]!, streamId)).toMatchObject({
        outcome: 'done',
        replication: 'failed',
        store: 'unavailable',
      })
      // Elsewhere it is unknown now; every gateway still serves new streams in full.
      const elsewhere = gateways[(stream.gateway + 1) % 3]!
      expect((await fetch(`${elsewhere.url}/api/streams/${streamId}?last_event_id=3`)).status).toBe(404)
      for (let i = 0; i < 3; i++) {
        const during = `During ${i} [emu chunks=5]`
        const served = await open('/api/stream/chat', {
          method: 'POST',
          body: { user_input: during, provider: 'gemini' },
        })
        expect(served.status).toBe(200)
        expect(parseGatewayStream(await served.rest()).text).toBe(expectedAnswer(during, { provider: 'gemini' }))
      }
    } finally {
      await redis.start()
    }
    await untilStoreOk(true)
    emu.clearRequests()
    const again = 'After the outage [emu chunks=20 delay=40]'
    const { head, rest } = await cutAndResume(ROUTES[0], again)
    expect(parseGatewayStream(head + rest.slice(RETRY.length)).text).toBe(expectedAnswer(again, { provider: 'openai' }))
    expect(emu.requests()).toHaveLength(1)
  })
})
