import type { ModelTarget, ProviderName } from '../env'
import type { ProviderErrorKind } from '../providers/errors'
import type { ProviderRegistry } from '../providers/registry'
import type { ChatRequest, StreamResult } from '../providers/types'

/**
 * What a {@link import('./generation').Generation} is given and what it reports: the plan (targets in
 * order, retries, timeouts), the listener, and one record per upstream request.
 *
 * @example
 * const plan: GenerationPlan = { providers, request: { prompt: 'Hi' }, targets: [{ provider: 'gemini' }], limits }
 */

export interface GenerationLimits {
  /** Extra attempts per provider before the first text. */
  retries: number
  firstTextTimeoutMs: number
  idleTimeoutMs: number
  maxDurationMs: number
}

export interface GenerationPlan {
  providers: ProviderRegistry
  request: ChatRequest
  /** The requested provider and model first, then the fallbacks in order. */
  targets: ModelTarget[]
  limits: GenerationLimits
}

/** One upstream request and how it ended. */
export interface AttemptRecord {
  provider: ProviderName
  model: string
  outcome: 'done' | 'aborted' | ProviderErrorKind | 'internal'
  status?: number
  ms: number
}

/** Where a generation reports what happens, as it happens. */
export interface GenerationListener {
  text(piece: string): void
  done(result: StreamResult, attempts: number): void
  /** The answer failed; a {@link ProviderError}'s message is safe for clients. */
  fail(error: unknown): void
}
