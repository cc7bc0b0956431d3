import type { Bindings } from '../env'
import { createMasker, type Masker } from '../secrets/masker'
import { parseModelPolicy, type ModelPolicy } from './model-policy'
import {
  bindingRateLimiter,
  createMemoryRateLimiter,
  isRateLimitBinding,
  parseRateLimit,
  type RateLimiter,
  type RateLimiterFactory,
} from './rate-limit'
import { createTokenMatcher, parseTokens, type TokenMatcher } from './tokens'

/**
 * The security bindings, read once per bindings object (once per isolate on Workers, once per
 * process on Bun and Node, so the in-memory rate limiter keeps its counts between requests).
 * `limiterFor` builds the `RATE_LIMIT` limiter where there is no Workers binding (the first call
 * for a bindings object decides).
 *
 * @example
 * const security = readSecurity({ ACCESS_TOKENS: 'a-long-token', RATE_LIMIT: '30/60s' })
 * security.access // 'token'
 */
export interface SecuritySettings {
  /** `open`: no ACCESS_TOKENS and no TOKEN_SIGNING_SECRET, every caller is served. */
  access: 'open' | 'token'
  tokens: TokenMatcher
  tokenCount: number
  signingSecret: string | undefined
  /** `undefined`: no limit. */
  limiter: RateLimiter | undefined
  policy: ModelPolicy
  logPrompts: boolean
  /** PUBLIC_URL without its trailing slash, for the OpenAPI document's server URL. */
  publicUrl: string | undefined
  /** Masks every configured key (AI_GATEWAY_TOKEN included), access token and the signing secret by value. */
  mask: Masker
}

const cache = new WeakMap<object, SecuritySettings>()

export function readSecurity(
  env: Bindings,
  limiterFor: RateLimiterFactory = createMemoryRateLimiter,
): SecuritySettings {
  const cached = cache.get(env)
  if (cached) return cached
  const tokens = parseTokens(env.ACCESS_TOKENS)
  const signingSecret = env.TOKEN_SIGNING_SECRET?.trim() || undefined
  const spec = parseRateLimit(env.RATE_LIMIT)
  // RATE_LIMIT=off turns every limit off, the binding's too (local benchmarks and test suites).
  const off = /^\s*off\s*$/i.test(env.RATE_LIMIT ?? '')
  const limiter = off
    ? undefined
    : isRateLimitBinding(env.RATE_LIMITER)
      ? bindingRateLimiter(env.RATE_LIMITER, spec?.periodSeconds)
      : spec
        ? limiterFor(spec)
        : undefined
  const publicUrl = env.PUBLIC_URL?.trim().replace(/\/+$/, '')
  const settings: SecuritySettings = {
    access: tokens.length > 0 || signingSecret ? 'token' : 'open',
    tokens: createTokenMatcher(tokens),
    tokenCount: tokens.length,
    signingSecret,
    limiter,
    policy: parseModelPolicy(env.ALLOWED_MODELS, env.MAX_OUTPUT_TOKENS),
    logPrompts: env.LOG_PROMPTS?.trim().toLowerCase() === 'true',
    publicUrl: publicUrl && /^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/i.test(publicUrl) ? publicUrl : undefined,
    mask: createMasker([
      env.OPENAI_API_KEY?.trim(),
      env.GEMINI_API_KEY?.trim(),
      env.AI_GATEWAY_TOKEN?.trim(),
      signingSecret,
      ...tokens,
    ]),
  }
  cache.set(env, settings)
  return settings
}
