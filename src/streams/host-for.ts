import type { BudgetLedger } from '../budgets/ledger'
import type { Bindings, DurableStreamNamespace } from '../env'
import { createDurableStreams } from './durable-streams'
import type { StreamHost } from './host'
import { createMemoryStreams } from './memory-streams'

/**
 * Picks where an app's resumable streams live: the given host, else a Durable Object per stream when
 * the bindings hold `RESUMABLE_STREAMS` (Workers), else one in-memory store for this app (Bun, Node),
 * which settles token budgets into `budgetLedger` (the app's; this process's memory by default).
 *
 * @example
 * const streams = streamHostFor()
 * streams(env) // the host for this request's bindings
 */
export function streamHostFor(given?: StreamHost, budgetLedger?: BudgetLedger): (env: Bindings) => StreamHost {
  if (given) return () => given
  let memory: StreamHost | undefined
  const durable = new WeakMap<DurableStreamNamespace, StreamHost>()
  return (env) => {
    const namespace = env.RESUMABLE_STREAMS
    if (!namespace) return (memory ??= createMemoryStreams(budgetLedger ? { budgetLedger } : {}))
    let host = durable.get(namespace)
    if (!host) durable.set(namespace, (host = createDurableStreams(namespace)))
    return host
  }
}
