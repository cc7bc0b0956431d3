/**
 * The token budget's ledgers: the Durable Object per caller (Workers) and the process's memory
 * (Bun, Node), through the same BudgetLedger interface. Fifty concurrent reservations never hold
 * more than the limit; settling releases; a reservation never settled is charged in full at its
 * expiry (on Workers by the object's alarm, after an eviction too).
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import type { Account } from '../../src/budgets/account'
import { createDurableLedger } from '../../src/budgets/durable-ledger'
import { estimateChatInput } from '../../src/budgets/estimate'
import type { BudgetLedger, Grant, Refusal } from '../../src/budgets/ledger'
import { createMemoryLedger } from '../../src/budgets/memory-ledger'
import { waitFor } from './helpers'

const DAY = 86_400_000
const BUDGET = { limit: 5000, windowMs: DAY }
const HOUR_MS = 3_600_000
const namespace = (env as unknown as { BUDGETS: DurableObjectNamespace }).BUDGETS
let callers = 0
const newCaller = () => `sub:ledger-test-${Date.now().toString(36)}-${callers++}`

/** Fifty requests at once, each `input` (a real estimate) + max_tokens 200. */
async function fifty(ledger: BudgetLedger, caller: string) {
  const input = estimateChatInput({ prompt: 'Xin chào! Tell me a story.' })
  const results = await Promise.all(
    Array.from({ length: 50 }, () =>
      ledger.reserve(caller, { ...BUDGET, input, wantedOutput: 200, expiresInMs: HOUR_MS }),
    ),
  )
  const grants = results.filter((r): r is Grant => r.ok)
  const refusals = results.filter((r): r is Refusal => !r.ok)
  return { input, grants, refusals }
}

function ledgerSuite(name: string, make: () => BudgetLedger) {
  describe(`${name} ledger`, () => {
    it('fifty concurrent reservations against 5,000: never more than 5,000 held; the rest clearly refused', async () => {
      const ledger = make()
      const caller = newCaller()
      const { input, grants, refusals } = await fifty(ledger, caller)
      // 27 UTF-8 bytes (à is two), one message, the request's overhead.
      expect(input).toBe(27 + 8 + 32)
      const held = grants.reduce((sum, g) => sum + g.input + g.output, 0)
      // 5000 / 267 = 18 whole grants (4806), then one with the 194 - 67 = 127 output tokens left.
      expect(grants).toHaveLength(19)
      expect(held).toBe(5000)
      expect(grants.map((g) => g.output).sort((a, b) => a - b)).toEqual([127, ...Array(18).fill(200)])
      expect(new Set(grants.map((g) => g.id)).size).toBe(19)
      expect(refusals).toHaveLength(31)
      const resetAt = Math.ceil(Date.now() / DAY) * DAY
      for (const refusal of refusals) {
        expect(refusal).toEqual({ ok: false, limit: 5000, remaining: 0, needed: input + 1, resetAt })
      }
      expect(await ledger.usage(caller, BUDGET)).toEqual({
        limit: 5000,
        used: 0,
        reserved: 5000,
        remaining: 0,
        resetAt,
      })
    })

    it('settling releases the reservation and charges what was spent, once', async () => {
      const ledger = make()
      const caller = newCaller()
      const { grants } = await fifty(ledger, caller)
      const settled = await Promise.all(grants.map((g) => ledger.settle(caller, g.id, g.input + 50)))
      expect(settled.every((s) => s.settled)).toBe(true)
      const used = grants.reduce((sum, g) => sum + g.input + 50, 0)
      expect(await ledger.usage(caller, BUDGET)).toMatchObject({ used, reserved: 0, remaining: 5000 - used })
      // Again, or an id never granted: nothing more is charged.
      expect(await ledger.settle(caller, grants[0]!.id, 999)).toEqual({ settled: false, charged: 0 })
      expect(await ledger.settle(caller, 'no-such-id', 999)).toEqual({ settled: false, charged: 0 })
      expect((await ledger.usage(caller, BUDGET)).used).toBe(used)
      // What was released can be reserved again; a request without max_tokens gets all that remains.
      const next = await ledger.reserve(caller, { ...BUDGET, input: 10, expiresInMs: HOUR_MS })
      expect(next).toMatchObject({ ok: true, input: 10, output: 5000 - used - 10, remaining: 0 })
    })

    it('spending more than reserved is charged in full; remaining never goes below 0', async () => {
      const ledger = make()
      const caller = newCaller()
      const grant = (await ledger.reserve(caller, {
        ...BUDGET,
        input: 100,
        wantedOutput: 100,
        expiresInMs: HOUR_MS,
      })) as Grant
      expect(await ledger.settle(caller, grant.id, 5200)).toEqual({ settled: true, charged: 5200 })
      expect(await ledger.usage(caller, BUDGET)).toMatchObject({ used: 5200, reserved: 0, remaining: 0 })
      expect(
        await ledger.reserve(caller, { ...BUDGET, input: 1, wantedOutput: 1, expiresInMs: HOUR_MS }),
      ).toMatchObject({
        ok: false,
        remaining: 0,
      })
    })

    it('callers do not share a budget; a larger limit for one caller is its own', async () => {
      const ledger = make()
      const [a, b] = [newCaller(), newCaller()]
      await ledger.reserve(a, { ...BUDGET, input: 4000, wantedOutput: 1000, expiresInMs: HOUR_MS })
      expect(await ledger.usage(a, BUDGET)).toMatchObject({ reserved: 5000, remaining: 0 })
      expect(await ledger.usage(b, BUDGET)).toMatchObject({ reserved: 0, remaining: 5000 })
      expect(await ledger.usage(a, { ...BUDGET, limit: 8000 })).toMatchObject({ limit: 8000, remaining: 3000 })
    })
  })
}

ledgerSuite('memory', () => createMemoryLedger())
ledgerSuite('Durable Object (BUDGETS)', () => createDurableLedger(namespace))

describe('memory ledger: expiry and windows (a fake clock)', () => {
  it('a reservation never settled is charged in full at its expiry, then a late settle charges nothing', async () => {
    let now = Date.UTC(2026, 10, 27, 10)
    const ledger = createMemoryLedger(() => now)
    const grant = (await ledger.reserve('c', { ...BUDGET, input: 300, wantedOutput: 200, expiresInMs: 1000 })) as Grant
    now += 999
    expect(await ledger.usage('c', BUDGET)).toMatchObject({ used: 0, reserved: 500 })
    now += 1
    expect(await ledger.usage('c', BUDGET)).toMatchObject({ used: 500, reserved: 0, remaining: 4500 })
    expect(await ledger.settle('c', grant.id, 10)).toEqual({ settled: false, charged: 0 })
    expect((await ledger.usage('c', BUDGET)).used).toBe(500)
  })

  it('a new window starts from 0; a reservation settles into the window it was made in', async () => {
    let now = Date.UTC(2026, 10, 27, 23, 59)
    const ledger = createMemoryLedger(() => now)
    await ledger.reserve('c', { ...BUDGET, input: 1000, wantedOutput: 1000, expiresInMs: HOUR_MS })
    const late = (await ledger.reserve('c', {
      ...BUDGET,
      input: 1000,
      wantedOutput: 1000,
      expiresInMs: HOUR_MS,
    })) as Grant
    expect(late.resetAt).toBe(Date.UTC(2026, 10, 28))
    expect(await ledger.usage('c', BUDGET)).toMatchObject({ used: 0, reserved: 4000, remaining: 1000 })
    now = Date.UTC(2026, 10, 28, 0, 1)
    expect(await ledger.usage('c', BUDGET)).toEqual({
      limit: 5000,
      used: 0,
      reserved: 0,
      remaining: 5000,
      resetAt: Date.UTC(2026, 10, 29),
    })
    expect(await ledger.settle('c', late.id, 2000)).toEqual({ settled: true, charged: 0 })
    now += 2 * HOUR_MS
    expect((await ledger.usage('c', BUDGET)).used).toBe(0)
  })
})

describe('Durable Object ledger: storage and the alarm', () => {
  const stubOf = (caller: string) => namespace.get(namespace.idFromName(caller))
  const stored = (caller: string) =>
    runInDurableObject(stubOf(caller), (_instance, state: DurableObjectState) => state.storage.get<Account>('account'))

  it('an evicted object keeps its figures (they are in its storage)', async () => {
    const ledger = createDurableLedger(namespace)
    const caller = newCaller()
    const grant = (await ledger.reserve(caller, {
      ...BUDGET,
      input: 100,
      wantedOutput: 200,
      expiresInMs: HOUR_MS,
    })) as Grant
    await ledger.settle(caller, grant.id, 250)
    await ledger.reserve(caller, { ...BUDGET, input: 100, wantedOutput: 400, expiresInMs: HOUR_MS })
    await evictDurableObject(stubOf(caller))
    expect(await ledger.usage(caller, BUDGET)).toMatchObject({ used: 250, reserved: 500, remaining: 4250 })
  })

  it('a reservation whose worker died: the alarm charges it in full and releases it, after an eviction', async () => {
    const ledger = createDurableLedger(namespace)
    const caller = newCaller()
    const kept = (await ledger.reserve(caller, {
      ...BUDGET,
      input: 100,
      wantedOutput: 100,
      expiresInMs: HOUR_MS,
    })) as Grant
    const dying = (await ledger.reserve(caller, { ...BUDGET, input: 300, wantedOutput: 200, expiresInMs: 1 })) as Grant
    expect(dying.ok).toBe(true)
    await evictDurableObject(stubOf(caller))
    // The alarm is set for the first expiry; run it until it has charged the expired reservation.
    const after = await waitFor(async () => {
      await runDurableObjectAlarm(stubOf(caller))
      const account = await stored(caller)
      return account && !(dying.id in account.open) ? account : undefined
    }, 5000)
    expect(after).toMatchObject({ used: 500 })
    expect(Object.keys(after!.open)).toEqual([kept.id])
    expect(await ledger.usage(caller, BUDGET)).toMatchObject({ used: 500, reserved: 200, remaining: 4300 })
    expect(await ledger.settle(caller, dying.id, 1)).toEqual({ settled: false, charged: 0 })
  })

  it('with nothing open, the alarm is set for the end of the window (when the storage is deleted)', async () => {
    const ledger = createDurableLedger(namespace)
    const caller = newCaller()
    const grant = (await ledger.reserve(caller, {
      ...BUDGET,
      input: 10,
      wantedOutput: 10,
      expiresInMs: HOUR_MS,
    })) as Grant
    const alarmAt = () =>
      runInDurableObject(stubOf(caller), (_i, state: DurableObjectState) => state.storage.getAlarm())
    const before = Date.now()
    const expiry = await alarmAt()
    expect(expiry).toBeGreaterThan(before + HOUR_MS - 5000)
    expect(expiry).toBeLessThanOrEqual(before + HOUR_MS)
    await ledger.settle(caller, grant.id, 15)
    expect(await stored(caller)).toMatchObject({ used: 15, open: {} })
    expect(await alarmAt()).toBe(grant.resetAt)
  })
})
