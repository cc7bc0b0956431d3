import { describe, expect, expectTypeOf, it } from 'vitest'
import { type Bindings, DEFAULTS, readConfig } from './env'

describe('readConfig', () => {
  it('applies the defaults when nothing is set', () => {
    const config = readConfig({})
    expect(config).toEqual({
      openai: { apiKey: undefined, baseURL: DEFAULTS.OPENAI_BASE_URL, model: DEFAULTS.OPENAI_MODEL },
      gemini: {
        apiKey: undefined,
        baseURL: DEFAULTS.GEMINI_BASE_URL,
        model: DEFAULTS.GEMINI_MODEL,
        apiVersion: 'v1beta',
      },
      defaultProvider: 'gemini',
      corsOrigins: '*',
      maxInputChars: 32_000,
      maxBodyBytes: 262_144,
      pingIntervalMs: 15_000,
      upstreamIdleTimeoutMs: 120_000,
      firstTextTimeoutMs: 60_000,
      maxDurationMs: 300_000,
      retries: 2,
      fallback: [],
      maxUpstreamEventBytes: 1_048_576,
      aiGatewayToken: undefined,
      resumable: true,
      resumeTtlMs: 300_000,
      resumeGraceMs: 10_000,
      resumeRunner: 'worker',
      maxStreamBytes: 8_388_608,
      responsesTtlMs: 3_600_000,
      redisUrl: undefined,
      redisKeyPrefix: 'llm-gw:',
      tokenBudget: undefined,
      tokenBudgetError: undefined,
    })
  })

  it('reads REDIS_URL (blank: unset) and REDIS_KEY_PREFIX (empty allowed)', () => {
    expect(readConfig({ REDIS_URL: ' redis://127.0.0.1:6379 ' }).redisUrl).toBe('redis://127.0.0.1:6379')
    expect(readConfig({ REDIS_URL: '  ' }).redisUrl).toBeUndefined()
    expect(readConfig({ REDIS_KEY_PREFIX: 'staging:' }).redisKeyPrefix).toBe('staging:')
    expect(readConfig({ REDIS_KEY_PREFIX: '' }).redisKeyPrefix).toBe('')
  })

  it('reads TOKEN_BUDGET: tokens per m, h or d window; off or unset: none; anything else an error naming it', () => {
    expect(readConfig({ TOKEN_BUDGET: '200000/1d' }).tokenBudget).toEqual({ limit: 200_000, windowMs: 86_400_000 })
    expect(readConfig({ TOKEN_BUDGET: ' 50k / 12h ' }).tokenBudget).toEqual({ limit: 50_000, windowMs: 43_200_000 })
    expect(readConfig({ TOKEN_BUDGET: '2M/30m' }).tokenBudget).toEqual({ limit: 2_000_000, windowMs: 1_800_000 })
    expect(readConfig({ TOKEN_BUDGET: '5000/h' }).tokenBudget).toEqual({ limit: 5000, windowMs: 3_600_000 })
    for (const off of [undefined, '', ' ', 'off', 'OFF', 'false', '0']) {
      expect(readConfig({ TOKEN_BUDGET: off })).toMatchObject({ tokenBudget: undefined, tokenBudgetError: undefined })
    }
    for (const bad of ['200000', '200000/1s', '0/1d', 'lots/1d', '-5/1d', '100/0d', '100/400d', '1.5/1d']) {
      const config = readConfig({ TOKEN_BUDGET: bad })
      expect(config.tokenBudget, bad).toBeUndefined()
      expect(config.tokenBudgetError, bad).toMatch(/^TOKEN_BUDGET: ".*" is not <tokens>\/<window>/)
    }
  })

  it('reads RESUMABLE, RESUME_TTL_MS, RESUME_GRACE_MS (grace capped at 30 s, 0 allowed) and MAX_STREAM_BYTES', () => {
    expect(readConfig({ RESUMABLE: 'off' }).resumable).toBe(false)
    expect(readConfig({ RESUMABLE: 'OFF ' }).resumable).toBe(false)
    expect(readConfig({ RESUMABLE: 'on' }).resumable).toBe(true)
    expect(readConfig({ RESUME_TTL_MS: '60000' }).resumeTtlMs).toBe(60_000)
    expect(readConfig({ RESUME_GRACE_MS: '0' }).resumeGraceMs).toBe(0)
    expect(readConfig({ RESUME_RUNNER: ' Object ' }).resumeRunner).toBe('object')
    expect(readConfig({ RESUME_RUNNER: 'elsewhere' }).resumeRunner).toBe('worker')
    expect(readConfig({ RESUME_GRACE_MS: '90000' }).resumeGraceMs).toBe(30_000)
    expect(readConfig({ RESUME_GRACE_MS: 'soon' }).resumeGraceMs).toBe(10_000)
    expect(readConfig({ MAX_STREAM_BYTES: '2097152' }).maxStreamBytes).toBe(2_097_152)
    expect(readConfig({ MAX_STREAM_BYTES: '0' }).maxStreamBytes).toBe(8_388_608)
  })

  it('reads RESPONSES_TTL_MS (default one hour)', () => {
    expect(readConfig({ RESPONSES_TTL_MS: '120000' }).responsesTtlMs).toBe(120_000)
    expect(readConfig({ RESPONSES_TTL_MS: 'never' }).responsesTtlMs).toBe(3_600_000)
    expect(readConfig({ RESPONSES_TTL_MS: '0' }).responsesTtlMs).toBe(3_600_000)
  })

  it('reads retries, timeouts and the fallback list', () => {
    const config = readConfig({
      RETRIES: '0',
      FIRST_TEXT_TIMEOUT_MS: '5000',
      MAX_DURATION_MS: '60000',
      FALLBACK: ' openai:gpt-4.1-mini , gemini, claude:x, openai:ft:gpt-4o:org:1',
    })
    expect(config.retries).toBe(0)
    expect(config.firstTextTimeoutMs).toBe(5000)
    expect(config.maxDurationMs).toBe(60_000)
    expect(config.fallback).toEqual([
      { provider: 'openai', model: 'gpt-4.1-mini' },
      { provider: 'gemini' },
      { provider: 'openai', model: 'ft:gpt-4o:org:1' },
    ])
  })

  it('never counts an empty or blank secret as configured (an unfilled .dev.vars placeholder)', () => {
    for (const value of ['', ' ', '\t\n']) {
      const config = readConfig({ OPENAI_API_KEY: value, GEMINI_API_KEY: value, AI_GATEWAY_TOKEN: value })
      expect([config.openai.apiKey, config.gemini.apiKey, config.aiGatewayToken]).toEqual([
        undefined,
        undefined,
        undefined,
      ])
    }
    expect(readConfig({ AI_GATEWAY_TOKEN: ' aig-token ' }).aiGatewayToken).toBe('aig-token')
  })

  it('reads every binding that wrangler.jsonc and .dev.vars.example declare', () => {
    // Env is generated by `npm run cf-typegen` (worker-configuration.d.ts); this fails to compile when a
    // binding is declared there that Bindings does not know.
    expectTypeOf<Exclude<keyof Env, keyof Bindings>>().toEqualTypeOf<never>()
    expectTypeOf<Env>().toExtend<Bindings>()
  })

  it('reads and cleans every binding', () => {
    const config = readConfig({
      OPENAI_API_KEY: ' sk-x ',
      OPENAI_BASE_URL: 'http://127.0.0.1:8787/v1/',
      GEMINI_API_KEY: '',
      DEFAULT_PROVIDER: 'OpenAI',
      CORS_ORIGINS: 'https://a.example/, https://b.example',
      MAX_INPUT_CHARS: '100',
      SSE_PING_INTERVAL_MS: 'soon',
    })
    expect(config.openai.apiKey).toBe('sk-x')
    expect(config.openai.baseURL).toBe('http://127.0.0.1:8787/v1')
    expect(config.gemini.apiKey).toBeUndefined()
    expect(config.defaultProvider).toBe('openai')
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example'])
    expect(config.maxInputChars).toBe(100)
    expect(config.pingIntervalMs).toBe(15_000)
  })

  it('falls back to gemini for an unknown DEFAULT_PROVIDER', () => {
    expect(readConfig({ DEFAULT_PROVIDER: 'claude' }).defaultProvider).toBe('gemini')
  })
})
