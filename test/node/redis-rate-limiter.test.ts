/**
 * The Redis rate limiter against a real redis-server (test/support/redis-server.ts): one count
 * per caller across connections, atomically; `Retry-After` from the window Redis holds; keys
 * under REDIS_KEY_PREFIX; and when Redis is killed or frozen, counts in this process without
 * throwing or waiting, then Redis again once it is back.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryRateLimiter, type RateLimitVerdict } from '../../src/access/rate-limit'
import { connectRedis, type RedisConnection } from '../../src/stores/redis/connection'
import { connectRedisFromBindings } from '../../src/stores/redis/from-bindings'
import { createRedisRateLimiter } from '../../src/stores/redis/rate-limiter'
import { startRedis, type RunningRedis } from '../support/redis-server.ts'

let redis: RunningRedis
const connections: RedisConnection[] = []
let prefixes = 0

beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  await redis?.stop()
})
afterEach(async () => {
  await Promise.all(connections.splice(0).map((connection) => connection.close()))
})

/** A connection that is ready (each test gets prefixes of its own, so counts never carry over). */
async function connect(options: { prefix?: string; log?: (line: string) => void } = {}): Promise<RedisConnection> {
  const connection = connectRedis({
    url: redis.url,
    prefix: options.prefix ?? `t${++prefixes}:`,
    log: options.log ?? (() => {}),
  })
  connections.push(connection)
  await until(() => connection.ok, 'the connection to become ready')
  return connection
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Fails if `promise` has not settled within `ms`: the bound on a call that must never hang. */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not return within ${ms} ms`)), ms)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

const ALLOWED: RateLimitVerdict = { ok: true, retryAfterSeconds: 0 }

describe('Redis rate limiter', () => {
  it('counts one caller across connections atomically: 100 concurrent hits, limit 20 → exactly 20 allowed', async () => {
    const prefix = `t${++prefixes}:`
    // Four connections: four gateway instances sending at once.
    const instances = await Promise.all([1, 2, 3, 4].map(() => connect({ prefix })))
    const limiters = instances.map((connection) => createRedisRateLimiter(connection, { limit: 20, periodSeconds: 60 }))
    const verdicts = await Promise.all(
      Array.from({ length: 100 }, (_, i) => limiters[i % limiters.length]!.limit('ip:10.0.0.7')),
    )
    expect(verdicts.filter((verdict) => verdict.ok)).toHaveLength(20)
    for (const verdict of verdicts.filter((v) => !v.ok)) expect(verdict.retryAfterSeconds).toBe(60)
    expect(instances.every((connection) => connection.ok)).toBe(true)
    // Another caller has a count of its own.
    expect(await limiters[0]!.limit('ip:10.0.0.8')).toEqual(ALLOWED)
  })

  it('says Retry-After from the window Redis holds, and allows again when it ends', async () => {
    const connection = await connect()
    const limiter = createRedisRateLimiter(connection, { limit: 1, periodSeconds: 60 })
    const key = `${connection.prefix}rate:60s:token:0`
    expect(await limiter.limit('token:0')).toEqual(ALLOWED)
    expect(await limiter.limit('token:0')).toEqual({ ok: false, retryAfterSeconds: 60 })
    // 12.5 s left in the window (as if 47.5 s had passed): Retry-After rounds up to 13.
    await connection.client.pExpire(key, 12_500)
    expect(await limiter.limit('token:0')).toEqual({ ok: false, retryAfterSeconds: 13 })
    await connection.client.pExpire(key, 1)
    await until(async () => (await connection.client.exists(key)) === 0, 'the window to end')
    expect(await limiter.limit('token:0')).toEqual(ALLOWED)
    expect(await connection.client.pTTL(key)).toBeGreaterThan(59_000)
  })

  it('keeps every key under REDIS_KEY_PREFIX, so gateways with different prefixes count apart', async () => {
    const staging = await connect({ prefix: 'staging:' })
    const production = await connect({ prefix: 'llm-gw:' })
    await staging.client.flushAll() // the other tests' keys
    const spec = { limit: 1, periodSeconds: 10 }
    expect(await createRedisRateLimiter(staging, spec).limit('ip:10.0.0.7')).toEqual(ALLOWED)
    expect(await createRedisRateLimiter(production, spec).limit('ip:10.0.0.7')).toEqual(ALLOWED)
    expect((await staging.client.keys('*')).sort()).toEqual([
      'llm-gw:rate:10s:ip:10.0.0.7',
      'staging:rate:10s:ip:10.0.0.7',
    ])
  })

  it('Redis killed: counts in this process without throwing, says so once, and uses Redis again once it is back', async () => {
    const lines: string[] = []
    const connection = await connect({ log: (line) => lines.push(line) })
    const spec = { limit: 2, periodSeconds: 60 }
    let now = 1_000_000
    const limiter = createRedisRateLimiter(
      connection,
      spec,
      createMemoryRateLimiter(spec, () => now),
    )
    expect(await limiter.limit('ip:10.0.0.7')).toEqual(ALLOWED)
    expect(await limiter.limit('ip:10.0.0.7')).toEqual(ALLOWED)
    expect(await limiter.limit('ip:10.0.0.7')).toEqual({ ok: false, retryAfterSeconds: 60 })

    await redis.kill()
    await until(() => !connection.ok, 'the connection to notice')
    // This process's own count starts afresh: the shared one is out of reach.
    expect(await within(5000, limiter.limit('ip:10.0.0.7'), 'limit()')).toEqual(ALLOWED)
    expect(await limiter.limit('ip:10.0.0.7')).toEqual(ALLOWED)
    now += 15_000
    expect(await limiter.limit('ip:10.0.0.7')).toEqual({ ok: false, retryAfterSeconds: 45 })

    await redis.start()
    await until(() => connection.ok, 'the client to reconnect')
    // Redis came back empty: a new shared window.
    expect(await limiter.limit('ip:10.0.0.7')).toEqual(ALLOWED)
    expect(await connection.client.pTTL(`${connection.prefix}rate:60s:ip:10.0.0.7`)).toBeGreaterThan(59_000)
    const reports = lines.map((line) => JSON.parse(line) as { ok: boolean })
    expect(reports.map((report) => report.ok)).toEqual([true, false, true])
    expect(reports[1]).toMatchObject({ event: 'store', store: 'redis', ok: false })
  })

  it('Redis frozen (connected, never answering): gives up after the command timeout and waits no more until it answers', async () => {
    const connection = await connect()
    const limiter = createRedisRateLimiter(connection, { limit: 5, periodSeconds: 60 })
    expect(await limiter.limit('ip:10.0.0.7')).toEqual(ALLOWED)
    redis.pause()
    try {
      const frozen = await within(5000, Promise.all([1, 2, 3].map(() => limiter.limit('ip:10.0.0.7'))), 'limit()')
      expect(frozen).toEqual([ALLOWED, ALLOWED, ALLOWED])
      expect(connection.ok).toBe(false)
      // Unavailable now: the next call does not wait for Redis at all.
      await expect(connection.run((client) => client.ping())).rejects.toThrow(/unavailable/)
    } finally {
      redis.resume()
    }
    await until(() => connection.ok, 'a PING to get through')
    // The calls that timed out may still have run on the server once it woke: 1 + up to 3.
    expect(Number(await connection.client.get(`${connection.prefix}rate:60s:ip:10.0.0.7`))).toBeLessThanOrEqual(4)
    expect(await limiter.limit('ip:10.0.0.7')).toEqual(ALLOWED)
    expect(Number(await connection.client.get(`${connection.prefix}rate:60s:ip:10.0.0.7`))).toBeGreaterThan(1)
  })

  it('REDIS_URL: unset means no connection; a malformed one stops the start without showing it', () => {
    expect(connectRedisFromBindings({})).toBeUndefined()
    expect(connectRedisFromBindings({ REDIS_URL: ' ' })).toBeUndefined()
    for (const url of ['localhost:6379', 'http://:s3cret@127.0.0.1:6379', 'redis//x']) {
      let message = ''
      try {
        connectRedisFromBindings({ REDIS_URL: url })
      } catch (error) {
        message = (error as Error).message
      }
      expect(message).toBe('REDIS_URL must look like redis://[:password@]host:port[/db] (rediss:// for TLS)')
    }
  })
})
