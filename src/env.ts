/**
 * Typed bindings and their defaults, in one place.
 *
 * On Workers the bindings come from `wrangler.jsonc` `vars`, `.dev.vars` and
 * `wrangler secret put`; on Bun and Node from the process environment. Both arrive as
 * a plain object of strings, which {@link readConfig} turns into a typed
 * {@link GatewayConfig} once per request.
 *
 * @example
 * const config = readConfig({ GEMINI_API_KEY: 'AIza…', MAX_INPUT_CHARS: '8000' })
 * config.gemini.model // 'gemini-2.5-flash'
 */

import { type BudgetSpec, parseTokenBudget } from './budgets/spec'

export const PROVIDER_NAMES = ['gemini', 'openai'] as const
export type ProviderName = (typeof PROVIDER_NAMES)[number]

/** Every binding the gateway reads. All optional: each has a default or a clear error. */
export interface Bindings {
  OPENAI_API_KEY?: string
  OPENAI_BASE_URL?: string
  OPENAI_MODEL?: string
  GEMINI_API_KEY?: string
  GEMINI_BASE_URL?: string
  GEMINI_MODEL?: string
  GEMINI_API_VERSION?: string
  DEFAULT_PROVIDER?: string
  CORS_ORIGINS?: string
  MAX_INPUT_CHARS?: string
  MAX_BODY_BYTES?: string
  SSE_PING_INTERVAL_MS?: string
  UPSTREAM_IDLE_TIMEOUT_MS?: string
  FIRST_TEXT_TIMEOUT_MS?: string
  MAX_DURATION_MS?: string
  RETRIES?: string
  FALLBACK?: string
  MAX_UPSTREAM_EVENT_BYTES?: string
  /** Token of an authenticated Cloudflare AI Gateway, sent as `cf-aig-authorization: Bearer <token>`. */
  AI_GATEWAY_TOKEN?: string
  // Security (issue 8): see src/access/settings.ts and the README's Security section.
  ACCESS_TOKENS?: string
  TOKEN_SIGNING_SECRET?: string
  RATE_LIMIT?: string
  /** The Workers Rate Limiting binding (Workers only; declared in the wrangler config). */
  RATE_LIMITER?: { limit(options: { key: string }): Promise<{ success: boolean }> }
  ALLOWED_MODELS?: string
  MAX_OUTPUT_TOKENS?: string
  LOG_PROMPTS?: string
  PUBLIC_URL?: string
  /** `off` (or `false`, `0`): no resumable streams, every stream takes the direct path. */
  RESUMABLE?: string
  RESUME_TTL_MS?: string
  RESUME_GRACE_MS?: string
  /** Workers: where a resumable answer runs, `worker` (default: the request's own worker) or `object` (its Durable Object). */
  RESUME_RUNNER?: string
  /** Most bytes one resumable stream's log holds; past it the stream ends with an error event. */
  MAX_STREAM_BYTES?: string
  /** How long a `/v1/responses` answer stays readable (`GET /v1/responses/{id}`, `previous_response_id`). */
  RESPONSES_TTL_MS?: string
  /** The Durable Object namespace that runs resumable streams (Workers only; see wrangler.jsonc). */
  RESUMABLE_STREAMS?: DurableStreamNamespace
  /** Bun and Node: a Redis server (`redis://[:password@]host:port[/db]`, `rediss://` for TLS) that instances share. */
  REDIS_URL?: string
  /** Prepended to every Redis key, so several gateways (or apps) can share one server. */
  REDIS_KEY_PREFIX?: string
  /** Tokens (input + output) per caller per window, e.g. `200000/1d`; unset or `off`: no budget. */
  TOKEN_BUDGET?: string
  /** The Durable Object namespace that keeps each caller's token budget (Workers only; see wrangler.jsonc). */
  BUDGETS?: DurableObjectNamespaceLike
  /** Static assets (Workers only). */
  ASSETS?: { fetch: (request: Request) => Promise<Response> }
}

/** What the gateway needs of a Durable Object namespace (typed here so Bun and Node need no Workers types). */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown
  get(id: never): { fetch(request: Request): Promise<Response> }
}

/** The RESUMABLE_STREAMS namespace. */
export type DurableStreamNamespace = DurableObjectNamespaceLike

export const DEFAULTS = {
  OPENAI_BASE_URL: 'https://api.openai.com/v1',
  OPENAI_MODEL: 'gpt-4.1-mini',
  GEMINI_BASE_URL: 'https://generativelanguage.googleapis.com',
  GEMINI_MODEL: 'gemini-2.5-flash',
  GEMINI_API_VERSION: 'v1beta',
  DEFAULT_PROVIDER: 'gemini',
  CORS_ORIGINS: '*',
  MAX_INPUT_CHARS: 32_000,
  MAX_BODY_BYTES: 256 * 1024,
  SSE_PING_INTERVAL_MS: 15_000,
  UPSTREAM_IDLE_TIMEOUT_MS: 120_000,
  FIRST_TEXT_TIMEOUT_MS: 60_000,
  MAX_DURATION_MS: 300_000,
  RETRIES: 2,
  MAX_UPSTREAM_EVENT_BYTES: 1024 * 1024,
  RESUME_TTL_MS: 300_000,
  RESUME_GRACE_MS: 10_000,
  /** Several times the longest answer a provider sends (a 64k-token answer is about 1 MiB of events). */
  MAX_STREAM_BYTES: 8 * 1024 * 1024,
  RESPONSES_TTL_MS: 3_600_000,
  /** The most RESUME_GRACE_MS may be. */
  MAX_RESUME_GRACE_MS: 30_000,
  REDIS_KEY_PREFIX: 'llm-gw:',
} as const

/** One provider and model to answer with (an entry of `FALLBACK`, e.g. `openai:gpt-4.1-mini`). */
export interface ModelTarget {
  provider: ProviderName
  /** Undefined: the provider's configured model. */
  model?: string
}

export interface ProviderSettings {
  /** Undefined when the secret is not set: requests then end with an error naming the binding. */
  apiKey: string | undefined
  baseURL: string
  model: string
}

export interface GatewayConfig {
  openai: ProviderSettings
  gemini: ProviderSettings & { apiVersion: string }
  defaultProvider: ProviderName
  /** `'*'` or an explicit list of allowed origins. */
  corsOrigins: '*' | string[]
  maxInputChars: number
  maxBodyBytes: number
  pingIntervalMs: number
  upstreamIdleTimeoutMs: number
  firstTextTimeoutMs: number
  maxDurationMs: number
  /** Extra attempts per provider before the first text (0: none). */
  retries: number
  /** Tried in order when the requested provider fails before its first text. */
  fallback: ModelTarget[]
  maxUpstreamEventBytes: number
  /** AI_GATEWAY_TOKEN: when set, every upstream request carries `cf-aig-authorization: Bearer <token>`. */
  aiGatewayToken: string | undefined
  /** Streams get event ids and can be resumed (`RESUMABLE`, on unless `off`). */
  resumable: boolean
  /** How long a finished stream stays replayable. */
  resumeTtlMs: number
  /** How long a generation keeps running with no client attached (0: stop at once; at most 30 s). */
  resumeGraceMs: number
  /**
   * RESUME_RUNNER (Workers): `worker` runs the generation in the worker that received the request and
   * copies the events to the stream's Durable Object; `object` runs it in the object (an answer then
   * continues for as long as it takes after its client left, at the cost of the object hop before the first text).
   */
  resumeRunner: 'worker' | 'object'
  /** MAX_STREAM_BYTES: the most bytes of events one resumable stream keeps; past it the stream ends with an error. */
  maxStreamBytes: number
  /** How long a `/v1/responses` answer (and its conversation, for `previous_response_id`) stays readable. */
  responsesTtlMs: number
  /** REDIS_URL (Bun and Node): undefined keeps every count and stream in this process. */
  redisUrl: string | undefined
  /** REDIS_KEY_PREFIX: the start of every key the gateway writes to Redis. */
  redisKeyPrefix: string
  /** TOKEN_BUDGET: tokens per caller per window; undefined: no budget (or an invalid value, see below). */
  tokenBudget: BudgetSpec | undefined
  /** Why TOKEN_BUDGET could not be read: the budgeted routes then refuse every request (503) rather than spend without limit. */
  tokenBudgetError: string | undefined
}

export function isProviderName(value: unknown): value is ProviderName {
  return value === 'gemini' || value === 'openai'
}

function text(value: string | undefined, fallback: string): string {
  const trimmed = value?.trim()
  return trimmed ? trimmed : fallback
}

function positiveInt(value: string | undefined, fallback: number): number {
  const parsed = Number.parseInt(value ?? '', 10)
  return Number.isFinite(parsed) && parsed > 0 ? parsed : fallback
}

function nonNegativeInt(value: string | undefined, fallback: number): number {
  const parsed = Number.parseInt(value ?? '', 10)
  return Number.isFinite(parsed) && parsed >= 0 ? parsed : fallback
}

/** `FALLBACK`: comma-separated `provider` or `provider:model` entries; unknown providers are skipped. */
export function parseTargets(value: string | undefined): ModelTarget[] {
  const targets: ModelTarget[] = []
  for (const entry of (value ?? '').split(',')) {
    const [name = '', ...rest] = entry.trim().split(':')
    const provider = name.trim().toLowerCase()
    const model = rest.join(':').trim()
    if (isProviderName(provider)) targets.push(model ? { provider, model } : { provider })
  }
  return targets
}

/** A secret, trimmed; empty or blank counts as not set (an unfilled `.dev.vars` placeholder). */
function secret(value: string | undefined): string | undefined {
  const trimmed = value?.trim()
  return trimmed ? trimmed : undefined
}

function origins(value: string | undefined): '*' | string[] {
  const list = text(value, DEFAULTS.CORS_ORIGINS)
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter(Boolean)
  return list.length === 0 || list.includes('*') ? '*' : list
}

const cache = new WeakMap<object, GatewayConfig>()

/** Reads the bindings into a typed config; memoised per bindings object (one per isolate on Workers). */
export function readConfig(env: Bindings): GatewayConfig {
  const cached = cache.get(env)
  if (cached) return cached
  const { budget, error } = parseTokenBudget(env.TOKEN_BUDGET)
  const defaultProvider = text(env.DEFAULT_PROVIDER, DEFAULTS.DEFAULT_PROVIDER).toLowerCase()
  const config: GatewayConfig = {
    openai: {
      apiKey: secret(env.OPENAI_API_KEY),
      baseURL: text(env.OPENAI_BASE_URL, DEFAULTS.OPENAI_BASE_URL).replace(/\/+$/, ''),
      model: text(env.OPENAI_MODEL, DEFAULTS.OPENAI_MODEL),
    },
    gemini: {
      apiKey: secret(env.GEMINI_API_KEY),
      baseURL: text(env.GEMINI_BASE_URL, DEFAULTS.GEMINI_BASE_URL).replace(/\/+$/, ''),
      model: text(env.GEMINI_MODEL, DEFAULTS.GEMINI_MODEL),
      apiVersion: text(env.GEMINI_API_VERSION, DEFAULTS.GEMINI_API_VERSION),
    },
    defaultProvider: isProviderName(defaultProvider) ? defaultProvider : DEFAULTS.DEFAULT_PROVIDER,
    corsOrigins: origins(env.CORS_ORIGINS),
    maxInputChars: positiveInt(env.MAX_INPUT_CHARS, DEFAULTS.MAX_INPUT_CHARS),
    maxBodyBytes: positiveInt(env.MAX_BODY_BYTES, DEFAULTS.MAX_BODY_BYTES),
    pingIntervalMs: positiveInt(env.SSE_PING_INTERVAL_MS, DEFAULTS.SSE_PING_INTERVAL_MS),
    upstreamIdleTimeoutMs: positiveInt(env.UPSTREAM_IDLE_TIMEOUT_MS, DEFAULTS.UPSTREAM_IDLE_TIMEOUT_MS),
    firstTextTimeoutMs: positiveInt(env.FIRST_TEXT_TIMEOUT_MS, DEFAULTS.FIRST_TEXT_TIMEOUT_MS),
    maxDurationMs: positiveInt(env.MAX_DURATION_MS, DEFAULTS.MAX_DURATION_MS),
    retries: Math.min(10, nonNegativeInt(env.RETRIES, DEFAULTS.RETRIES)),
    fallback: parseTargets(env.FALLBACK),
    maxUpstreamEventBytes: positiveInt(env.MAX_UPSTREAM_EVENT_BYTES, DEFAULTS.MAX_UPSTREAM_EVENT_BYTES),
    aiGatewayToken: secret(env.AI_GATEWAY_TOKEN),
    resumable: !/^(off|false|0|no)$/i.test(env.RESUMABLE?.trim() ?? ''),
    resumeTtlMs: positiveInt(env.RESUME_TTL_MS, DEFAULTS.RESUME_TTL_MS),
    resumeGraceMs: Math.min(
      DEFAULTS.MAX_RESUME_GRACE_MS,
      nonNegativeInt(env.RESUME_GRACE_MS, DEFAULTS.RESUME_GRACE_MS),
    ),
    resumeRunner: env.RESUME_RUNNER?.trim().toLowerCase() === 'object' ? 'object' : 'worker',
    maxStreamBytes: positiveInt(env.MAX_STREAM_BYTES, DEFAULTS.MAX_STREAM_BYTES),
    responsesTtlMs: positiveInt(env.RESPONSES_TTL_MS, DEFAULTS.RESPONSES_TTL_MS),
    redisUrl: secret(env.REDIS_URL),
    redisKeyPrefix: env.REDIS_KEY_PREFIX?.trim() ?? DEFAULTS.REDIS_KEY_PREFIX,
    tokenBudget: budget,
    tokenBudgetError: error,
  }
  cache.set(env, config)
  return config
}
