import type { GatewayConfig, ProviderName } from '../env'
import { createGeminiProvider } from './gemini'
import { noRedirectFetch } from './no-redirect-fetch'
import { createOpenAIProvider } from './openai'
import type { ChatProvider, FetchFunction } from './types'

export type ProviderRegistry = Readonly<Record<ProviderName, ChatProvider>>

/**
 * Builds every provider from the configuration.
 *
 * @example
 * const providers = createProviders(readConfig(env))
 * providers.gemini.stream({ prompt: 'Hi' }, { signal })
 */
export function createProviders(config: GatewayConfig, fetch?: FetchFunction): ProviderRegistry {
  return {
    // Issue 8: upstream redirects are never followed (the key goes to the base URL's origin only).
    openai: createOpenAIProvider({ ...config.openai, fetch: noRedirectFetch('openai', fetch) }),
    gemini: createGeminiProvider({ ...config.gemini, fetch: noRedirectFetch('gemini', fetch) }),
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
