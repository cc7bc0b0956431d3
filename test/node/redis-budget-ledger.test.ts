/**
 * The token budget's Redis ledger against a real redis-server (test/support/redis-server.ts): the
 * same figures as the memory ledger for any sequence of reserves and settles (both run the steps of
 * src/budgets/account.ts), fifty concurrent reservations from four instances never hold more than
 * the limit, a reservation whose process died is charged in full at its expiry, and while Redis is
 * gone or frozen the ledger counts in this process without throwing or waiting.
 */
import fc from 'fast-check'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { estimateChatInput } from '../../src/budgets/estimate'
import type { BudgetLedger, Grant, Refusal } from '../../src/budgets/ledger'
import { createMemoryLedger } from '../../src/budgets/memory-ledger'
import { createRedisBudgetLedger } from '../../src/stores/redis/budget-ledger'
import { connectRedis, type RedisConnection } from '../../src/stores/redis/connection'
import { startRedis, type RunningRedis } from '../support/redis-server.ts'

const DAY = 86_400_000
const BUDGET = { limit: 5000, windowMs: DAY }
const HOUR = 3_600_000

let redis: RunningRedis
const connections: RedisConnection[] = []
let prefixes = 0
let callers = 0
const newCaller = () => `sub:redis-ledger-${callers++}`

beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  await redis?.stop()
})
afterEach(async () => {
  await Promise.all(connections.splice(0).map((connection) => connection.close()))
})

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

/** A ready connection: one gateway instance. */
async function connect(prefix = `b${++prefixes}:`): Promise<RedisConnection> {
  const connection = connectRedis({ url: redis.url, prefix, log: () => {} })
  connections.push(connection)
  await until(() => connection.ok, 'the connection to become ready')
  return connection
}

const nextMidnight = () => Math.ceil((Date.now() + 1) / DAY) * DAY

describe('Redis budget ledger', () => {
  it('fifty concurrent reservations from four instances against 5,000: 5,000 held, never more; the rest refused', async () => {
    const prefix = `b${++prefixes}:`
    const ledgers = (await Promise.all([1, 2, 3, 4].map(() => connect(prefix)))).map((c) => createRedisBudgetLedger(c))
    const caller = newCaller()
    const input = estimateChatInput({ prompt: 'Xin chào! Tell me a story.' })
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        ledgers[i % 4]!.reserve(caller, { ...BUDGET, input, wantedOutput: 200, expiresInMs: HOUR }),
      ),
    )
    const grants = results.filter((r): r is Grant => r.ok)
    const refusals = results.filter((r): r is Refusal => !r.ok)
    // 5000 / 267 = 18 whole grants (4806), then one with the 194 - 67 = 127 output tokens left.
    expect(grants.map((g) => g.output).sort((a, b) => a - b)).toEqual([127, ...Array(18).fill(200)])
    expect(grants.reduce((sum, g) => sum + g.input + g.output, 0)).toBe(5000)
    expect(new Set(grants.map((g) => g.id)).size).toBe(19)
    expect(grants.every((g) => /^r[0-9a-f-]{36}$/.test(g.id))).toBe(true)
    for (const refusal of refusals) {
      expect(refusal).toEqual({ ok: false, limit: 5000, remaining: 0, needed: input + 1, resetAt: nextMidnight() })
    }
    expect(refusals).toHaveLength(31)
    const usage = { limit: 5000, used: 0, reserved: 5000, remaining: 0, resetAt: nextMidnight() }
    expect(await ledgers[3]!.usage(caller, BUDGET)).toEqual(usage)

    // Settling releases the rest of each reservation; what was spent stays used.
    await Promise.all(grants.map((g, i) => ledgers[i % 4]!.settle(caller, g.id, 100)))
    expect(await ledgers[0]!.usage(caller, BUDGET)).toEqual({ ...usage, used: 1900, reserved: 0, remaining: 3100 })
  })

  it('settles to what was spent (more than reserved too), once; an unknown id charges nothing', async () => {
    const connection = await connect()
    const ledger = createRedisBudgetLedger(connection)
    const caller = newCaller()
    const a = (await ledger.reserve(caller, { ...BUDGET, input: 100, wantedOutput: 300, expiresInMs: HOUR })) as Grant
    const b = (await ledger.reserve(caller, { ...BUDGET, input: 50, expiresInMs: HOUR })) as Grant
    // Without wantedOutput the ceiling is all that remains.
    expect([a.output, b.output, b.remaining]).toEqual([300, 5000 - 400 - 50, 0])
    expect(await ledger.settle(caller, a.id, 420)).toEqual({ settled: true, charged: 420 })
    expect(await ledger.settle(caller, a.id, 420)).toEqual({ settled: false, charged: 0 })
    expect(await ledger.settle(caller, 'r00000000-0000-4000-8000-000000000000', 9)).toEqual({
      settled: false,
      charged: 0,
    })
    expect(await ledger.settle(caller, b.id, 61)).toEqual({ settled: true, charged: 61 })
    const before = Date.now()
    expect(await ledger.usage(caller, BUDGET)).toMatchObject({ used: 481, reserved: 0, remaining: 4519 })
    // The account is one key under the prefix, kept until the window ends.
    const key = `${connection.prefix}budget:${caller}`
    expect(JSON.parse((await connection.client.get(key)) ?? '')).toEqual({
      windowStart: nextMidnight() - DAY,
      windowMs: DAY,
      used: 481,
      open: {},
    })
    // Written by the last script with PX = (window end - Redis's now) + 1 s; read some time later.
    const ttl = await connection.client.pTTL(key)
    const after = Date.now()
    expect(ttl).toBeGreaterThanOrEqual(nextMidnight() + 1000 - after - 2)
    expect(ttl).toBeLessThanOrEqual(nextMidnight() + 1000 - before + 2)
  })

  it('a reservation whose process died is charged in full at its expiry, then released', async () => {
    const prefix = `b${++prefixes}:`
    const dying = createRedisBudgetLedger(await connect(prefix))
    const survivor = createRedisBudgetLedger(await connect(prefix))
    const caller = newCaller()
    const grant = (await dying.reserve(caller, { ...BUDGET, input: 80, wantedOutput: 200, expiresInMs: 1500 })) as Grant
    expect(grant.ok).toBe(true)
    await connections.shift()!.close() // the process is gone: it never settles
    expect(await survivor.usage(caller, BUDGET)).toMatchObject({ used: 0, reserved: 280 })
    await until(async () => (await survivor.usage(caller, BUDGET)).reserved === 0, 'the reservation to expire')
    expect(await survivor.usage(caller, BUDGET)).toMatchObject({ used: 280, reserved: 0, remaining: 4720 })
    // A settlement that comes after the expiry charges nothing more.
    expect(await survivor.settle(caller, grant.id, 10)).toEqual({ settled: false, charged: 0 })
    expect(await survivor.usage(caller, BUDGET)).toMatchObject({ used: 280 })
  })

  it('fixed windows: a new window starts from 0; a reservation of the last one settles into nothing', async () => {
    const connection = await connect()
    const ledger = createRedisBudgetLedger(connection)
    const caller = newCaller()
    const spec = { limit: 1000, windowMs: 2000 }
    // Early in a window, so that both steps land in it.
    await until(() => Date.now() % spec.windowMs < 200, 'the start of a window')
    const settled = (await ledger.reserve(caller, { ...spec, input: 10, wantedOutput: 90, expiresInMs: HOUR })) as Grant
    const open = (await ledger.reserve(caller, { ...spec, input: 10, wantedOutput: 90, expiresInMs: HOUR })) as Grant
    await ledger.settle(caller, settled.id, 60)
    const first = await ledger.usage(caller, spec)
    expect(first).toMatchObject({ used: 60, reserved: 100 })
    await until(() => Date.now() >= first.resetAt + 20, 'the next window')
    expect(await ledger.usage(caller, spec)).toEqual({
      limit: 1000,
      used: 0,
      reserved: 0,
      remaining: 1000,
      resetAt: first.resetAt + spec.windowMs,
    })
    expect(await ledger.settle(caller, open.id, 100)).toEqual({ settled: true, charged: 0 })
    expect(await ledger.usage(caller, spec)).toMatchObject({ used: 0 })
    // Nothing open, nothing used: the key is gone.
    expect(await connection.client.exists(`${connection.prefix}budget:${caller}`)).toBe(0)
  })

  it("gives the memory ledger's figures for any sequence of reserves and settles (the same steps in Lua)", async () => {
    const connection = await connect()
    const step = fc.oneof(
      fc.record({
        op: fc.constant('reserve' as const),
        input: fc.integer({ min: 0, max: 700 }),
        wanted: fc.option(fc.oneof(fc.integer({ min: 1, max: 900 }), fc.double({ min: 0, max: 900 })), {
          nil: undefined,
        }),
      }),
      fc.record({
        op: fc.constant('settle' as const),
        pick: fc.nat(),
        spent: fc.oneof(fc.double({ min: 0, max: 1500 }), fc.constant(Number.NaN)),
      }),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 25 }), fc.integer({ min: 1, max: 3000 }), async (steps, limit) => {
        const caller = newCaller()
        const spec = { limit, windowMs: DAY }
        const pair: [BudgetLedger, BudgetLedger] = [createRedisBudgetLedger(connection), createMemoryLedger()]
        const ids: [string, string][] = []
        for (const s of steps) {
          if (s.op === 'reserve') {
            const request = { ...spec, input: s.input, wantedOutput: s.wanted, expiresInMs: HOUR }
            const [inRedis, inMemory] = await Promise.all(pair.map((ledger) => ledger.reserve(caller, request)))
            if (inRedis!.ok && inMemory!.ok) ids.push([inRedis!.id, inMemory!.id])
            expect({ ...inRedis, id: undefined }).toEqual({ ...inMemory, id: undefined })
          } else if (ids.length > 0) {
            const [a, b] = ids[s.pick % ids.length]!
            expect(await pair[0].settle(caller, a, s.spent)).toEqual(await pair[1].settle(caller, b, s.spent))
          }
          expect(await pair[0].usage(caller, spec)).toEqual(await pair[1].usage(caller, spec))
        }
      }),
      { numRuns: 40 },
    )
  })

  it('Redis killed or frozen: counts in this process at once (never throws, never waits), Redis again once back', async () => {
    const connection = await connect()
    const ledger = createRedisBudgetLedger(connection)
    const caller = newCaller()
    const inRedis = (await ledger.reserve(caller, {
      ...BUDGET,
      input: 100,
      wantedOutput: 100,
      expiresInMs: HOUR,
    })) as Grant
    expect(inRedis.remaining).toBe(4800)

    await redis.kill()
    await until(() => !connection.ok, 'the connection to notice')
    // This process's own account starts afresh: the shared one is out of reach.
    const request = { ...BUDGET, input: 100, wantedOutput: 4900, expiresInMs: HOUR }
    const inMemory = (await within(2000, ledger.reserve(caller, request), 'reserve()')) as Grant
    expect(inMemory).toMatchObject({ ok: true, output: 4900, remaining: 0 })
    expect(inMemory.id).toMatch(/^m/)
    expect(await within(2000, ledger.reserve(caller, request), 'reserve()')).toMatchObject({ ok: false, remaining: 0 })
    expect(await within(2000, ledger.settle(caller, inRedis.id, 150), 'settle()')).toEqual({
      settled: false,
      charged: 0,
    })
    expect(await ledger.settle(caller, inMemory.id, 700)).toEqual({ settled: true, charged: 700 })
    expect(await within(2000, ledger.usage(caller, BUDGET), 'usage()')).toMatchObject({ used: 700, reserved: 0 })

    await redis.start()
    await until(() => connection.ok, 'the client to reconnect')
    // Redis came back empty (nothing is persisted in this test): the shared account again.
    expect(await ledger.usage(caller, BUDGET)).toMatchObject({ used: 0, reserved: 0, remaining: 5000 })
    const again = (await ledger.reserve(caller, { ...BUDGET, input: 1, wantedOutput: 1, expiresInMs: HOUR })) as Grant
    expect(again.id).toMatch(/^r/)

    redis.pause()
    try {
      // The command's deadline passes, then this process's account (700 used) answers.
      const frozen = (await within(5000, ledger.reserve(caller, request), 'reserve()')) as Grant
      expect(frozen).toMatchObject({ ok: true, output: 4200, remaining: 0 })
      expect(frozen.id).toMatch(/^m/)
      expect(connection.ok).toBe(false)
      expect(await within(2000, ledger.usage(caller, BUDGET), 'usage()')).toMatchObject({ used: 700, reserved: 4300 })
    } finally {
      redis.resume()
    }
    await until(() => connection.ok, 'a PING to get through')
    // The script that timed out may still have run once Redis woke: then that reservation is open
    // there until its expiry (and charged in full), as documented.
    expect([2, 5000]).toContain((await ledger.usage(caller, BUDGET)).reserved)
  })
})
