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
    })
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
