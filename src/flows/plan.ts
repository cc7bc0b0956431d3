import type { GatewayConfig, ModelTarget, ProviderName } from '../env'
import type { ProviderRegistry } from '../providers/registry'
import type { ChatRequest } from '../providers/types'
import type { GenerationPlan } from './generation'

export interface PlanInput {
  provider: ProviderName
  request: ChatRequest
  /** False: only the requested provider and model, no `FALLBACK`. */
  fallback?: boolean
}

/**
 * What a generation will try, in order: the requested provider and model, then each `FALLBACK`
 * entry that names something else; with the configured retries and timeouts.
 *
 * @example
 * planFor(config, providers, { provider: 'gemini', request: { prompt: 'Hi' } })
 */
export function planFor(config: GatewayConfig, providers: ProviderRegistry, input: PlanInput): GenerationPlan {
  const requested: ModelTarget = {
    provider: input.provider,
    model: input.request.model ?? providers[input.provider].defaultModel,
  }
  const targets = [requested]
  if (input.fallback !== false) {
    for (const target of config.fallback) {
      const model = target.model ?? providers[target.provider].defaultModel
      if (!targets.some((known) => known.provider === target.provider && known.model === model)) {
        targets.push({ provider: target.provider, model })
      }
    }
  }
  const { model: _model, ...request } = input.request
  return {
    providers,
    request,
    targets,
    limits: {
      retries: config.retries,
      firstTextTimeoutMs: config.firstTextTimeoutMs,
      idleTimeoutMs: config.upstreamIdleTimeoutMs,
      maxDurationMs: config.maxDurationMs,
    },
  }
}
