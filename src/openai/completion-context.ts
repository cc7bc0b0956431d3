import type { ModelPolicy } from '../access/model-policy'
import type { GatewayConfig } from '../env'
import type { RequestRecord } from '../observability/request-record'
import type { FetchFunction } from '../providers/types'

/** What a chat completion needs besides its body: configuration, policy, its record, `fetch`. */
export interface CompletionContext {
  config: GatewayConfig
  policy: ModelPolicy
  /** The request's record: provider, model, attempts, usage and the one log line. */
  record: RequestRecord
  fetch: FetchFunction
  /** Fires when the client leaves; the upstream request is aborted then. */
  signal?: AbortSignal
}
