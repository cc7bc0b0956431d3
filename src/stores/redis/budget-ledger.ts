/**
 * The token budget's ledger in Redis (Bun and Node with REDIS_URL): every instance reserves from
 * and settles into the same account per caller, one atomic Lua script per operation
 * (./budget-scripts.ts), so fifty concurrent requests spread over any number of instances never
 * hold more than the limit together. A reservation whose instance died is charged in full at its
 * expiry by the next operation on that caller's account.
 *
 * While Redis is unavailable (down, unreachable, or slower than the connection's deadline), each
 * instance counts in its own memory instead: budgets are then per process, never a 5xx and never a
 * wait. A reservation made in Redis whose settlement fails that way stays open there and is charged
 * in full at its expiry; one made in memory settles in memory (ids say where: `r…` Redis, `m…` memory).
 *
 * @example
 * const ledger = createRedisBudgetLedger(redis)
 * await ledger.reserve('sub:alice', { limit: 5000, windowMs: 86_400_000, input: 67, wantedOutput: 200, expiresInMs: 360_000 })
 */
import type { BudgetLedger, BudgetUsage, Reservation, Settlement } from '../../budgets/ledger'
import { createMemoryLedger } from '../../budgets/memory-ledger'
import type { RedisConnection } from './connection'
import { RESERVE, SETTLE, USAGE } from './budget-scripts'
import type { LuaScript } from './lua-script'

const REDIS_ID = /^r[0-9a-f-]{36}$/

export function createRedisBudgetLedger(
  redis: RedisConnection,
  fallback: BudgetLedger = createMemoryLedger(),
): BudgetLedger {
  const keyOf = (caller: string) => redis.key('budget', caller)
  const run = async <T>(script: LuaScript, caller: string, args: string[]): Promise<T> => {
    const reply = await redis.run((client) => script.run(client, [keyOf(caller)], args))
    return JSON.parse(String(reply)) as T
  }
  return {
    async reserve(caller, request) {
      const id = `r${crypto.randomUUID()}`
      const args = [
        String(request.limit),
        String(request.windowMs),
        String(request.input),
        request.wantedOutput === undefined ? '' : String(request.wantedOutput),
        String(request.expiresInMs),
        id,
      ]
      try {
        return await run<Reservation>(RESERVE, caller, args)
      } catch {
        return fallback.reserve(caller, request)
      }
    },
    async settle(caller, id, spent) {
      if (!REDIS_ID.test(id)) return fallback.settle(caller, id, spent)
      try {
        return await run<Settlement>(SETTLE, caller, [id, String(spent)])
      } catch {
        return { settled: false, charged: 0 }
      }
    },
    async usage(caller, spec) {
      try {
        return await run<BudgetUsage>(USAGE, caller, [String(spec.limit), String(spec.windowMs)])
      } catch {
        return fallback.usage(caller, spec)
      }
    },
  }
}
