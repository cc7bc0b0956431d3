import type { SecuritySettings } from './access/settings'
import type { BudgetLedger } from './budgets/ledger'
import type { Bindings, GatewayConfig } from './env'
import type { RequestRecord } from './observability/request-record'
import type { StoreStatus } from './stores/status'
import type { ProviderRegistry } from './providers/registry'
import type { StreamHost } from './streams/host'

/** Hono's environment for this app: the bindings and what the config middleware sets. */
export interface AppEnv {
  Bindings: Bindings
  Variables: {
    config: GatewayConfig
    providers: ProviderRegistry
    /** Send a comment as soon as a stream opens (see AppOptions.flushHeadersEarly). */
    flushHeadersEarly: boolean
    /** Access, limits, model policy and the secret masker (issue 8). */
    security: SecuritySettings
    /** This request's record: its id and its one log line. */
    record: RequestRecord
    /** The caller's identity when access control is on (`token:<index>` or `sub:<sub>`). */
    caller: string | undefined
    /** A signed token's `budget` claim: this caller's limit per TOKEN_BUDGET window. */
    callerBudget: number | undefined
    /** The client's IP: `cf-connecting-ip` on Workers, the socket's address on Bun and Node. */
    clientIp: string | undefined
    /** Where resumable streams live; undefined with RESUMABLE=off (streams take the direct path). */
    streams: StreamHost | undefined
    /** The token budget's ledger where no BUDGETS binding exists (AppOptions.budgetLedger). */
    budgetLedger: BudgetLedger | undefined
    /** Where shared state lives and whether it answers (`/health`, the log line's `store`). */
    store: StoreStatus
  }
}
