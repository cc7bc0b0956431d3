/**
 * Several instances as one, black box: two Bun gateways and one Node gateway with the same
 * REDIS_URL (a real redis-server) behind a round-robin TCP proxy. `RATE_LIMIT` is one limit for
 * the three; with Redis killed every request is still served (limits per process), `/health`
 * says the store is down and every log line says it was unavailable; with Redis back the limit
 * is shared again, without restarting a gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator } from '../../emulator/server.ts'
import { startGateways, type RunningGateway } from '../support/gateway.ts'
import { startRedis, type RunningRedis } from '../support/redis-server.ts'
import { getOnce, startRoundRobinProxy, type PlainResponse, type RoundRobinProxy } from '../support/tcp-proxy.ts'

const LIMIT = 20
/** A rate-limited route that needs no provider: one event, then the closing one. */
const CHEAP = '/api/stream/sse?count=1&interval_ms=0'

let emu: Emulator
let redis: RunningRedis
let gateways: readonly RunningGateway[]
let proxy: RoundRobinProxy

interface Health {
  status: string
  store: string
  ok: boolean
}

const health = async (gw: RunningGateway): Promise<Health> =>
  (await fetch(`${gw.url}/health`)).json() as Promise<Health>

/** Polls every gateway's /health (directly, not through the proxy) until each says `ok`. */
async function untilStoreOk(ok: boolean): Promise<void> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const states = await Promise.all(gateways.map(health))
    if (states.every((state) => state.ok === ok)) return
    if (Date.now() > deadline) throw new Error(`/health never said ok:${ok} on all three: ${JSON.stringify(states)}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** `count` requests through the proxy, one after the other, each on a new connection (so round robin). */
async function burst(count: number): Promise<PlainResponse[]> {
  const responses: PlainResponse[] = []
  for (let i = 0; i < count; i++) responses.push(await getOnce(`${proxy.url}${CHEAP}`))
  return responses
}

const statuses = (allowed: number, refused: number) => [
  ...Array<number>(allowed).fill(200),
  ...Array<number>(refused).fill(429),
]

const requestLines = (gw: RunningGateway): Record<string, unknown>[] =>
  [...gw.output().matchAll(/\{"event":"request".*\}/g)].map((match) => JSON.parse(match[0]) as Record<string, unknown>)

/** What the Redis connection logged: a line each time Redis went away or came back. */
const storeLines = (gw: RunningGateway): Record<string, unknown>[] =>
  [...gw.output().matchAll(/\{"event":"store".*\}/g)].map((match) => JSON.parse(match[0]) as Record<string, unknown>)

/** Each gateway's request lines after `from[i]` once it has written at least `count` for the cheap route. */
async function linesSince(from: number[], count: number): Promise<Record<string, unknown>[][]> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const lines = gateways.map((gw, i) => requestLines(gw).slice(from[i]))
    const cheap = lines.map((own) => own.filter((line) => line.route === '/api/stream/sse').length)
    if (cheap.every((n) => n >= count)) return lines
    if (Date.now() > deadline) throw new Error(`expected ${count} log lines per gateway, got ${cheap.join(', ')}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

function expectRefusal(response: PlainResponse): void {
  const retryAfter = Number(response.headers['retry-after'])
  expect(retryAfter).toBeGreaterThanOrEqual(1)
  expect(retryAfter).toBeLessThanOrEqual(60)
  expect(JSON.parse(response.body)).toMatchObject({ error: expect.stringMatching(/^rate limit: too many requests/) })
}

beforeAll(async () => {
  emu = await startEmulator()
  redis = await startRedis()
  const vars = { REDIS_URL: redis.url, RATE_LIMIT: `${LIMIT}/60s` }
  gateways = await startGateways([
    { runtime: 'bun', upstreamUrl: emu.url, vars },
    { runtime: 'bun', upstreamUrl: emu.url, vars },
    { runtime: 'node', upstreamUrl: emu.url, vars },
  ])
  proxy = await startRoundRobinProxy(gateways.map((gw) => gw.port))
  // A gateway answers before its Redis connection is ready; until then it would count alone.
  await untilStoreOk(true)
}, 180_000)

afterAll(async () => {
  await proxy?.close()
  await Promise.all((gateways ?? []).map((gw) => gw.stop()))
  await redis?.stop()
  await emu?.close()
})

describe('two Bun gateways and one Node gateway sharing one Redis behind a round-robin proxy', () => {
  it('/health on each says the store is Redis and that it answers', async () => {
    for (const gw of gateways) expect(await health(gw)).toMatchObject({ status: 'ok', store: 'redis', ok: true })
  })

  it(`RATE_LIMIT=${LIMIT}/60s is one limit: 429 after ${LIMIT} requests in total across the three, not ${3 * LIMIT}`, async () => {
    const before = [...proxy.connections]
    const from = gateways.map((gw) => requestLines(gw).length)
    const responses = await burst(30)
    expect(responses.map((response) => response.status)).toEqual(statuses(LIMIT, 10))
    expect(proxy.connections.map((n, i) => n - before[i]!)).toEqual([10, 10, 10])
    for (const response of responses.slice(0, LIMIT)) expect(response.body).toContain('"done":true')
    for (const response of responses.slice(LIMIT)) expectRefusal(response)
    // Requests 21 to 30 went to each gateway in turn: every one of them refused some.
    const lines = await linesSince(from, 10)
    const refusals = lines.map((own) => own.filter((line) => line.status === 429).length)
    expect(refusals.sort()).toEqual([3, 3, 4])
    for (const own of lines) for (const line of own) expect(line).not.toHaveProperty('store')
  })

  it('Redis killed: every request served with per-process limits, /health ok:false, each log line says so; back: one limit again, no restart', async () => {
    await redis.kill()
    await untilStoreOk(false)
    for (const gw of gateways) expect(await health(gw)).toMatchObject({ status: 'ok', store: 'redis', ok: false })

    // Each gateway counts alone: 22 requests each, 20 served, then refused (never a 5xx).
    let from = gateways.map((gw) => requestLines(gw).length)
    const during = await burst(66)
    expect(during.map((response) => response.status)).toEqual(statuses(3 * LIMIT, 6))
    for (const response of during.slice(3 * LIMIT)) expectRefusal(response)
    const outage = await linesSince(from, 22)
    for (const own of outage) {
      expect(own.length).toBeGreaterThanOrEqual(22)
      for (const line of own) expect(line).toMatchObject({ store: 'unavailable' })
    }
    for (const gw of gateways) expect(storeLines(gw).at(-1)).toMatchObject({ store: 'redis', ok: false })

    await redis.start()
    await untilStoreOk(true)
    // One line when Redis went away, one when it came back: [up at start, down, up].
    for (const gw of gateways) expect(storeLines(gw).map((line) => line.ok)).toEqual([true, false, true])
    from = gateways.map((gw) => requestLines(gw).length)
    const after = await burst(30)
    expect(after.map((response) => response.status)).toEqual(statuses(LIMIT, 10))
    for (const own of await linesSince(from, 10)) for (const line of own) expect(line).not.toHaveProperty('store')
  })
})
