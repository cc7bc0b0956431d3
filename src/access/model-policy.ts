import type { ProviderName } from '../env'
import type { FieldIssue } from '../validation'

/**
 * What a caller may spend: `ALLOWED_MODELS` (comma-separated; `model` for any provider,
 * `provider:model`, or `provider:*` for all of a provider's models; the configured default
 * models are always allowed) and `MAX_OUTPUT_TOKENS` (a larger `max_tokens` is refused, a request
 * without one is sent upstream with the cap).
 *
 * @example
 * const policy = parseModelPolicy('gemini:gemini-2.5-flash,openai:gpt-4.1-mini', '1024')
 * checkModel(policy, 'openai', 'o3', 'gpt-4.1-mini') // { field: 'model', message: 'must be one of …' }
 */
export interface ModelPolicy {
  /** `undefined`: every model. */
  allowed?: readonly { provider?: ProviderName; model: string }[]
  maxOutputTokens?: number
}

const PROVIDER_PREFIX = /^(openai|gemini):(.+)$/i

export function parseModelPolicy(allowedModels: string | undefined, maxOutputTokens: string | undefined): ModelPolicy {
  const entries = (allowedModels ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const match = PROVIDER_PREFIX.exec(entry)
      return match ? { provider: match[1]!.toLowerCase() as ProviderName, model: match[2]!.trim() } : { model: entry }
    })
  const cap = Number.parseInt(maxOutputTokens ?? '', 10)
  return {
    ...(entries.length > 0 ? { allowed: entries } : {}),
    ...(Number.isFinite(cap) && cap > 0 ? { maxOutputTokens: cap } : {}),
  }
}

/** The 400 issue for a model the policy does not allow, listing the allowed ones for this provider. */
export function checkModel(
  policy: ModelPolicy,
  provider: ProviderName,
  requested: string | undefined,
  defaultModel: string,
): FieldIssue | undefined {
  if (!policy.allowed || requested === undefined || requested === defaultModel) return undefined
  const forProvider = policy.allowed.filter((entry) => entry.provider === undefined || entry.provider === provider)
  if (forProvider.some((entry) => entry.model === '*' || entry.model === requested)) return undefined
  const names = [defaultModel, ...forProvider.map((entry) => entry.model)]
  const list = [...new Set(names)].map((name) => JSON.stringify(name)).join(', ')
  return {
    field: 'model',
    message: `is not allowed for ${provider} on this gateway; allowed: ${list} (ALLOWED_MODELS)`,
  }
}

/** The 400 issue for a `max_tokens` above MAX_OUTPUT_TOKENS. */
export function checkMaxTokens(policy: ModelPolicy, maxTokens: number | undefined): FieldIssue | undefined {
  if (policy.maxOutputTokens === undefined || maxTokens === undefined || maxTokens <= policy.maxOutputTokens) {
    return undefined
  }
  return {
    field: 'max_tokens',
    message: `must be at most ${policy.maxOutputTokens} on this gateway (MAX_OUTPUT_TOKENS)`,
  }
}

/** The `max_tokens` to send upstream: the caller's, else the cap (or none). */
export function outputTokens(policy: ModelPolicy, maxTokens: number | undefined): number | undefined {
  return maxTokens ?? policy.maxOutputTokens
}
