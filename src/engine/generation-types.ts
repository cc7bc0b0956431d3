import type { Usage } from '../canonical/parts'
import type { CanonicalRequest } from '../canonical/request'
import type { ModelTarget, ProviderName } from '../env'
import type { ProviderErrorKind } from '../providers/errors'
import type { ProviderRegistry } from '../providers/registry'

/**
 * What a {@link import('./generation').Generation} is given and what it reports: the plan (targets in
 * order, retries, timeouts) and one record per upstream request.
 *
 * @example
 * const plan: GenerationPlan = { providers, request: textRequest('Hi'), targets: [{ provider: 'gemini', model: 'gemini-2.5-flash' }], limits }
 */

export interface GenerationLimits {
  /** Extra attempts per target before the first output. */
  retries: number
  /** FIRST_TEXT_TIMEOUT_MS: each attempt's first output must come within it (retried). */
  firstTextTimeoutMs: number
  /** UPSTREAM_IDLE_TIMEOUT_MS: the upstream's silence while the gateway waits for it, after the first output. */
  idleTimeoutMs: number
  /** MAX_DURATION_MS: the whole answer, retries and fallbacks included. */
  maxDurationMs: number
}

export interface GenerationPlan {
  providers: ProviderRegistry
  request: CanonicalRequest
  /** The requested provider and model first, then the fallbacks in order. */
  targets: Required<ModelTarget>[]
  limits: GenerationLimits
  /** Where the first upstream request's times go (the request's record): for Server-Timing and the log line. */
  timing?: { sentAt: number; answeredAt: number }
}

/** One upstream request and how it ended. */
export interface AttemptRecord {
  provider: ProviderName
  model: string
  outcome: 'done' | 'aborted' | ProviderErrorKind | 'internal'
  status?: number
  ms: number
}

/** An upstream request that was answered (2xx): what it generated, for accounting (token budgets). */
export interface AnsweredAttempt {
  provider: ProviderName
  model: string
  /** The usage the provider reported, if it did. */
  usage: Usage | undefined
  /** An upper bound of the tokens it generated that showed (see AnswerDecoder.generatedBound). */
  generated: number
}
