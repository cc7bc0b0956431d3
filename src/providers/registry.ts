import type { GatewayConfig, ProviderName } from '../env'
import { createGeminiProvider } from './gemini'
import { createOpenAIProvider } from './openai'
import type { ChatProvider, FetchFunction } from './types'

export type ProviderRegistry = Readonly<Record<ProviderName, ChatProvider>>

/**
 * Builds every provider from the configuration.
 *
 * @example
 * const providers = createProviders(readConfig(env))
 * const answer = await providers.gemini.open({ prompt: 'Hi' }, signal)
 */
export function createProviders(config: GatewayConfig, fetch?: FetchFunction): ProviderRegistry {
  const headers = config.aiGatewayToken ? { 'cf-aig-authorization': `Bearer ${config.aiGatewayToken}` } : undefined
  const common = { fetch, headers, maxEventBytes: config.maxUpstreamEventBytes }
  return {
    openai: createOpenAIProvider({ ...config.openai, ...common }),
    gemini: createGeminiProvider({ ...config.gemini, ...common }),
  }
}

const cache = new WeakMap<GatewayConfig, ProviderRegistry>()

/** The providers for a configuration, built once and reused by every request that shares it. */
export function providersFor(config: GatewayConfig, fetch?: FetchFunction): ProviderRegistry {
  let providers = cache.get(config)
  if (!providers) {
    providers = createProviders(config, fetch)
    cache.set(config, providers)
  }
  return providers
}
