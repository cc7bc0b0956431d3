import type { Bindings, GatewayConfig } from './env'
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
    /** Where resumable streams live; undefined with RESUMABLE=off (streams take the direct path). */
    streams: StreamHost | undefined
  }
}
