import type { DurableObjectNamespaceLike } from '../env'
import type { BudgetLedger, BudgetUsage, Reservation, Settlement } from './ledger'

/** The object's own paths; it is reachable only through a stub. */
const ORIGIN = 'https://budget-account.internal'

/**
 * The ledger on Workers: every operation is one call to the caller's {@link BudgetAccount} Durable
 * Object (`idFromName(caller)` in the BUDGETS namespace), wherever the request landed.
 *
 * @example
 * const ledger = createDurableLedger(env.BUDGETS)
 * await ledger.usage('sub:alice', { limit: 200_000, windowMs: 86_400_000 })
 */
export function createDurableLedger(namespace: DurableObjectNamespaceLike): BudgetLedger {
  async function call<T>(caller: string, path: string, body: unknown): Promise<T> {
    const stub = namespace.get(namespace.idFromName(caller) as never)
    const response = await stub.fetch(
      new Request(`${ORIGIN}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    )
    if (!response.ok) throw new Error(`budget ledger: the BUDGETS object answered ${response.status} to ${path}`)
    return (await response.json()) as T
  }
  return {
    reserve: (caller, request) => call<Reservation>(caller, '/reserve', request),
    settle: (caller, id, spent) => call<Settlement>(caller, '/settle', { id, spent }),
    usage: (caller, spec) => call<BudgetUsage>(caller, '/usage', spec),
  }
}
