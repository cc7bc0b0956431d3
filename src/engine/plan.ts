import type { CanonicalRequest } from '../canonical/request'
import type { GatewayConfig, ProviderName } from '../env'
import type { ProviderRegistry } from '../providers/registry'
import type { GenerationPlan } from './generation'

export interface PlanInput {
  provider: ProviderName
  /** Undefined: the provider's configured model. */
  model?: string
  request: CanonicalRequest
  /** False: only the requested provider and model, no `FALLBACK`. */
  fallback?: boolean
}

/**
 * What a generation will try, in order: the requested provider and model, then each `FALLBACK`
 * entry that names something else; with the configured retries and timeouts.
 *
 * @example
 * planFor(config, providers, { provider: 'gemini', request: textRequest('Hi') })
 */
export function planFor(config: GatewayConfig, providers: ProviderRegistry, input: PlanInput): GenerationPlan {
  const targets = [{ provider: input.provider, model: input.model ?? providers[input.provider].defaultModel }]
  if (input.fallback !== false) {
    for (const target of config.fallback) {
      const model = target.model ?? providers[target.provider].defaultModel
      if (!targets.some((known) => known.provider === target.provider && known.model === model)) {
        targets.push({ provider: target.provider, model })
      }
    }
  }
  return {
    providers,
    request: input.request,
    targets,
    limits: {
      retries: config.retries,
      firstTextTimeoutMs: config.firstTextTimeoutMs,
      idleTimeoutMs: config.upstreamIdleTimeoutMs,
      maxDurationMs: config.maxDurationMs,
    },
  }
}
