import type { ProviderName } from '../env'
import { ProviderError } from './errors'
import type { FetchFunction } from './types'

const BASE_URL_BINDINGS: Record<ProviderName, string> = { openai: 'OPENAI_BASE_URL', gemini: 'GEMINI_BASE_URL' }

/**
 * Issue 8: a `fetch` that never follows redirects, so the API key is only ever sent to the
 * configured base URL's origin. A 3xx answer becomes a {@link ProviderError} naming the base URL
 * binding (the providers' `toProviderError` passes it on through the SDK's wrapping).
 *
 * @example
 * createOpenAIProvider({ apiKey, fetch: noRedirectFetch('openai', fetch) })
 */
export function noRedirectFetch(
  provider: ProviderName,
  fetch: FetchFunction = (input, init) => globalThis.fetch(input, init),
): FetchFunction {
  return async (input, init) => {
    const response = await fetch(input, { ...init, redirect: 'manual' })
    if ((response.status >= 300 && response.status < 400) || (response.type as string) === 'opaqueredirect') {
      await response.body?.cancel().catch(() => {})
      const binding = BASE_URL_BINDINGS[provider]
      throw new ProviderError(
        provider,
        'redirect',
        `${provider}: the provider answered with a redirect (HTTP ${response.status || 'redirect'}), which the gateway ` +
          `does not follow so that the API key only goes to ${binding}. Check ${binding}: it must be the API's own address.`,
        { status: response.status || undefined },
      )
    }
    return response
  }
}

/** The gateway's own {@link ProviderError} when an SDK wrapped it (as `cause`) on the way up. */
export function ownProviderError(error: unknown): ProviderError | undefined {
  for (let current = error, depth = 0; current !== undefined && depth < 4; depth++) {
    if (current instanceof ProviderError) return current
    current = current instanceof Error ? current.cause : undefined
  }
  return undefined
}
