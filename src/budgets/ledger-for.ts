import type { Bindings, DurableObjectNamespaceLike } from '../env'
import { createDurableLedger } from './durable-ledger'
import type { BudgetLedger } from './ledger'
import { createMemoryLedger } from './memory-ledger'

/**
 * Picks the ledger for a set of bindings: a Durable Object per caller when the BUDGETS binding
 * exists (Workers), else the process's ledger the Bun and Node entries pass (Redis with REDIS_URL,
 * see AppOptions.budgetLedger), else this process's memory (one ledger per process, so the request
 * that reserves and the stream that settles, wherever it runs in the process, meet).
 *
 * @example
 * await budgetLedgerFor(env).usage('ip:203.0.113.7', { limit: 200_000, windowMs: 86_400_000 })
 * budgetLedgerFor(process.env, createRedisBudgetLedger(redis)) // Bun, Node with REDIS_URL
 */

const durable = new WeakMap<DurableObjectNamespaceLike, BudgetLedger>()
let memory: BudgetLedger | undefined

export function budgetLedgerFor(env: Bindings, processLedger?: BudgetLedger): BudgetLedger {
  const namespace = env.BUDGETS
  if (!namespace) return processLedger ?? (memory ??= createMemoryLedger())
  let ledger = durable.get(namespace)
  if (!ledger) durable.set(namespace, (ledger = createDurableLedger(namespace)))
  return ledger
}
