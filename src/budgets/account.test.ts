import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Account, expireIn, newAccount, reserveIn, settleIn, usageIn } from './account'
import { describeWindow, windowOf } from './spec'

const MINUTE = 60_000

type Step =
  | { op: 'reserve'; input: number; wanted: number | undefined; expiresInMs: number }
  | { op: 'settle'; pick: number; fraction: number }
  | { op: 'wait'; ms: number }

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    op: fc.constant('reserve' as const),
    input: fc.integer({ min: 0, max: 700 }),
    wanted: fc.option(fc.integer({ min: 1, max: 900 }), { nil: undefined }),
    expiresInMs: fc.integer({ min: 1, max: 3 * MINUTE }),
  }),
  fc.record({
    op: fc.constant('settle' as const),
    pick: fc.nat(),
    fraction: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
  fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 2 * MINUTE }) }),
)

describe('the account', () => {
  it('whatever the order of reserves, settles, expiries and new windows: used + reserved never passes the limit', () => {
    const spec = { limit: 5000, windowMs: 10 * MINUTE }
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        const account: Account = newAccount()
        let now = Date.UTC(2026, 10, 27, 9, 55)
        const granted: { id: string; amount: number }[] = []
        let n = 0
        for (const s of steps) {
          if (s.op === 'wait') now += s.ms
          else if (s.op === 'reserve') {
            const r = reserveIn(
              account,
              { ...spec, input: s.input, wantedOutput: s.wanted, expiresInMs: s.expiresInMs },
              now,
              `r${n++}`,
            )
            if (r.ok) {
              expect(r.output).toBeGreaterThanOrEqual(1)
              if (s.wanted !== undefined) expect(r.output).toBeLessThanOrEqual(s.wanted)
              granted.push({ id: r.id, amount: r.input + r.output })
            } else expect(r.needed).toBe(s.input + 1)
          } else if (granted.length > 0) {
            const pick = granted[s.pick % granted.length]!
            settleIn(account, pick.id, Math.floor(pick.amount * s.fraction), now)
          }
          const usage = usageIn(account, spec, now)
          expect(usage.used + usage.reserved).toBeLessThanOrEqual(spec.limit)
          expect(usage.remaining).toBe(spec.limit - usage.used - usage.reserved)
          expect(usage.resetAt).toBe(windowOf(now, spec.windowMs).end)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('expiry charges the whole reservation into its window only', () => {
    const account = newAccount()
    const now = Date.UTC(2026, 10, 27, 9, 59)
    reserveIn(
      account,
      { limit: 1000, windowMs: 10 * MINUTE, input: 100, wantedOutput: 50, expiresInMs: 30_000 },
      now,
      'a',
    )
    reserveIn(
      account,
      { limit: 1000, windowMs: 10 * MINUTE, input: 100, wantedOutput: 50, expiresInMs: 90_000 },
      now,
      'b',
    )
    expect(expireIn(account, now + 30_000)).toBe(1)
    expect(account.used).toBe(150)
    // 'b' expires in the next window: it belonged to the last one, so nothing is charged now.
    expect(usageIn(account, { limit: 1000, windowMs: 10 * MINUTE }, now + 90_000)).toMatchObject({
      used: 0,
      reserved: 0,
    })
  })

  it('names windows as TOKEN_BUDGET spells them', () => {
    expect([86_400_000, 43_200_000, 5_400_000, 60_000].map(describeWindow)).toEqual(['1d', '12h', '90m', '1m'])
  })
})
