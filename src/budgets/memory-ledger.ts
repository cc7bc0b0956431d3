import { type Account, isIdle, newAccount, reserveIn, settleIn, usageIn } from './account'
import type { BudgetLedger } from './ledger'

/**
 * The ledger in this process's memory (Bun and Node without Redis): one {@link Account} per caller
 * in a map. Each operation is one synchronous step between two awaits, so concurrent requests of
 * one process cannot interleave inside it. Behind several processes each counts its own: use one
 * process, or Redis.
 *
 * @example
 * const ledger = createMemoryLedger()
 * await ledger.reserve('ip:203.0.113.7', { limit: 5000, windowMs: 3_600_000, input: 80, wantedOutput: 200, expiresInMs: 360_000 })
 */

/** Above this many callers, idle accounts (nothing open, window over) are dropped before one is added. */
const SWEEP_AT = 10_000

export function createMemoryLedger(now: () => number = Date.now): BudgetLedger {
  const accounts = new Map<string, Account>()
  let next = 0
  const accountOf = (caller: string): Account => {
    let account = accounts.get(caller)
    if (!account) {
      if (accounts.size >= SWEEP_AT) {
        const at = now()
        for (const [key, idle] of accounts) if (isIdle(idle, at)) accounts.delete(key)
      }
      account = newAccount()
      accounts.set(caller, account)
    }
    return account
  }
  return {
    async reserve(caller, request) {
      next = (next + 1) % Number.MAX_SAFE_INTEGER
      return reserveIn(accountOf(caller), request, now(), `m${next.toString(36)}`)
    },
    async settle(caller, id, spent) {
      const account = accounts.get(caller)
      return account ? settleIn(account, id, spent, now()) : { settled: false, charged: 0 }
    },
    async usage(caller, spec) {
      return usageIn(accountOf(caller), spec, now())
    },
  }
}
