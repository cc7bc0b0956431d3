import { describe, expect, it } from 'vitest'
import { DEFAULTS, readConfig } from './env'

describe('readConfig', () => {
  it('applies the defaults when nothing is set', () => {
    const config = readConfig({})
    expect(config).toEqual({
      openai: { apiKey: undefined, baseURL: DEFAULTS.OPENAI_BASE_URL, model: DEFAULTS.OPENAI_MODEL },
      gemini: { apiKey: undefined, baseURL: DEFAULTS.GEMINI_BASE_URL, model: DEFAULTS.GEMINI_MODEL, apiVersion: 'v1beta' },
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
    })
  })

  it('reads RESUMABLE, RESUME_TTL_MS and RESUME_GRACE_MS (grace capped at 30 s, 0 allowed)', () => {
    expect(readConfig({ RESUMABLE: 'off' }).resumable).toBe(false)
    expect(readConfig({ RESUMABLE: 'OFF ' }).resumable).toBe(false)
    expect(readConfig({ RESUMABLE: 'on' }).resumable).toBe(true)
    expect(readConfig({ RESUME_TTL_MS: '60000' }).resumeTtlMs).toBe(60_000)
    expect(readConfig({ RESUME_GRACE_MS: '0' }).resumeGraceMs).toBe(0)
    expect(readConfig({ RESUME_GRACE_MS: '90000' }).resumeGraceMs).toBe(30_000)
    expect(readConfig({ RESUME_GRACE_MS: 'soon' }).resumeGraceMs).toBe(10_000)
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
