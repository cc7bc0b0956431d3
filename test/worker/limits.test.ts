import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { readStream, scenario, upstreamRequests } from './helpers'
import { bindings, call, jsonPost } from './app-call'

const TOKENS = ['limit-token-one-4Fz8Qp', 'limit-token-two-9Lk2Wm']
const auth = (index: number) => ({ authorization: `Bearer ${TOKENS[index]}` })
const demo = '/api/stream/sse?count=1&interval_ms=0'

async function expect429(response: Response, retryAfter: (seconds: number) => boolean): Promise<void> {
  expect(response.status).toBe(429)
  expect(response.headers.get('content-type')).toMatch(/^application\/json/)
  const seconds = Number(response.headers.get('retry-after'))
  expect(retryAfter(seconds), `Retry-After ${seconds}`).toBe(true)
  const { error } = (await response.json()) as { error: string }
  expect(error).toBe(`rate limit: too many requests from this caller. Retry after ${seconds} s.`)
}

/** The period of TEST_RATE_LIMITER (vitest.config.ts): 3 requests per 60 s. */
const WINDOW_MS = 60_000
/** Far more than a flood of a few local requests takes, even on a loaded machine (tens of ms). */
const FLOOD_MS = 10_000

/**
 * Runs `flood` inside one window of the local Workers rate limiter. Miniflare's limiter aligns its
 * windows to the wall clock (window n is [n * 60 s, (n + 1) * 60 s)) and restarts every count at a
 * boundary, so a flood that straddles one is let through again. When less than FLOOD_MS of the
 * current window is left, this waits for the next window to begin.
 */
async function inOneWindow(flood: () => Promise<void>): Promise<void> {
  const windowOf = (ms: number) => Math.floor(ms / WINDOW_MS)
  const left = () => WINDOW_MS - (Date.now() % WINDOW_MS)
  // A timer brings the isolate's clock up to date (workerd advances Date.now() only on I/O).
  await new Promise((resolve) => setTimeout(resolve, 0))
  while (left() < FLOOD_MS) await new Promise((resolve) => setTimeout(resolve, left() + 5))
  const window = windowOf(Date.now())
  try {
    await flood()
  } finally {
    expect(windowOf(Date.now()), `the flood took over ${FLOOD_MS} ms and crossed a rate-limit window`).toBe(window)
  }
}

describe('rate limits per caller', () => {
  // Up to FLOOD_MS of waiting for a fresh window, on top of the requests.
  const timeout = 20_000 + FLOOD_MS

  it('the Workers Rate Limiting binding (RATE_LIMITER): over the limit a 429 with Retry-After; other callers go on', {
    timeout,
  }, async () => {
    // TEST_RATE_LIMITER (vitest.config.ts) is a real workerd rate limiter of 3 per 60 s, passed as RATE_LIMITER.
    const binds = bindings({
      ACCESS_TOKENS: TOKENS.join(','),
      RATE_LIMIT: undefined,
      RATE_LIMITER: (env as unknown as Record<string, unknown>).TEST_RATE_LIMITER,
    })
    await inOneWindow(async () => {
      for (let i = 0; i < 3; i++) {
        const response = await call(binds, demo, { headers: auth(0) })
        expect(response.status).toBe(200)
        await response.text()
      }
      await expect429(await call(binds, demo, { headers: auth(0) }), (s) => s === 60)
      await expect429(await call(binds, '/api/flows/ask', jsonPost({ user_input: 'Hi' }, auth(0))), (s) => s === 60)
    })
    const other = await call(binds, demo, { headers: auth(1) })
    expect(other.status).toBe(200)
    await other.text()
  })

  it('without access control the key is the client IP (cf-connecting-ip on Workers)', { timeout }, async () => {
    const binds = bindings({
      RATE_LIMIT: undefined,
      RATE_LIMITER: (env as unknown as Record<string, unknown>).TEST_RATE_LIMITER,
    })
    const from = (ip: string) => call(binds, demo, { headers: { 'cf-connecting-ip': ip } })
    await inOneWindow(async () => {
      for (let i = 0; i < 3; i++) {
        const response = await from('203.0.113.7')
        expect(response.status).toBe(200)
        await response.text()
      }
      await expect429(await from('203.0.113.7'), (s) => s === 60)
    })
    const other = await from('203.0.113.8')
    expect(other.status).toBe(200)
    await other.text()
  })

  it('RATE_LIMIT (the in-memory limiter of Bun and Node) has the same semantics', async () => {
    const binds = bindings({ RATE_LIMIT: '2/10s', RATE_LIMITER: undefined, ACCESS_TOKENS: TOKENS.join(',') })
    for (let i = 0; i < 2; i++) expect((await call(binds, demo, { headers: auth(0) })).status).toBe(200)
    await expect429(await call(binds, demo, { headers: auth(0) }), (s) => s >= 1 && s <= 10)
    expect((await call(binds, demo, { headers: auth(1) })).status).toBe(200)
  })

  it('RATE_LIMIT=off turns the binding off too', async () => {
    const binds = bindings({
      RATE_LIMIT: 'off',
      RATE_LIMITER: (env as unknown as Record<string, unknown>).TEST_RATE_LIMITER,
    })
    for (let i = 0; i < 6; i++)
      expect((await call(binds, '/api/nope', { headers: { 'cf-connecting-ip': '203.0.113.99' } })).status).toBe(404)
  })

  it('unconfigured: no limit, and the open endpoints are never limited', async () => {
    const open = bindings({ RATE_LIMITER: undefined })
    for (let i = 0; i < 20; i++) expect((await call(open, '/api/nope')).status).toBe(404)
    const limited = bindings({ RATE_LIMIT: '1/60s', RATE_LIMITER: undefined })
    for (let i = 0; i < 5; i++) expect((await call(limited, '/health')).status).toBe(200)
  })
})

describe('ALLOWED_MODELS and MAX_OUTPUT_TOKENS', () => {
  it('a model that is not allowed is a 400 listing the allowed ones, on every chat route', async () => {
    const binds = bindings({ ALLOWED_MODELS: 'gemini:gemini-2.5-flash-lite, openai:gpt-4.1-nano, shared-model' })
    const cases: [string, RequestInit][] = [
      ['/api/stream/chat', jsonPost({ user_input: 'Hi', provider: 'openai', model: 'o3-pro' })],
      ['/api/stream/chat-get?user_input=Hi&provider=openai&model=o3-pro', {}],
      ['/api/flows/ask', jsonPost({ user_input: 'Hi', provider: 'openai', model: 'o3-pro' })],
    ]
    for (const [path, init] of cases) {
      const response = await call(binds, path, init)
      expect(response.status).toBe(400)
      const message =
        'is not allowed for openai on this gateway; allowed: "gpt-4.1-mini", "gpt-4.1-nano", "shared-model" (ALLOWED_MODELS)'
      expect(await response.json()).toEqual({ error: `model: ${message}`, issues: [{ field: 'model', message }] })
    }
    // gemini:… entries do not open a model for openai.
    const crossed = await call(
      binds,
      '/api/stream/chat',
      jsonPost({ user_input: 'Hi', provider: 'openai', model: 'gemini-2.5-flash-lite' }),
    )
    expect(crossed.status).toBe(400)
  })

  it('an allowed model (listed, or the configured default) is served', async () => {
    const model = await scenario({ fixture: 'openai-chat-basic.sse' })
    const binds = bindings({ ALLOWED_MODELS: `openai:${model}` })
    const response = await call(binds, '/api/stream/chat', jsonPost({ user_input: 'Hi', provider: 'openai', model }))
    expect(response.status).toBe(200)
    expect((await readStream(response)).events.at(-1)).toMatchObject({ done: true, provider: 'openai' })
    const byDefault = await call(
      bindings({ ALLOWED_MODELS: `openai:${model}`, OPENAI_MODEL: model }),
      '/api/stream/chat',
      jsonPost({ user_input: 'Hi', provider: 'openai' }),
    )
    expect(byDefault.status).toBe(200)
    await byDefault.text()
  })

  it('a max_tokens above MAX_OUTPUT_TOKENS is a 400', async () => {
    const binds = bindings({ MAX_OUTPUT_TOKENS: '256' })
    for (const path of ['/api/stream/chat', '/api/flows/ask']) {
      const response = await call(binds, path, jsonPost({ user_input: 'Hi', max_tokens: 1_000_000 }))
      expect(response.status).toBe(400)
      const message = 'must be at most 256 on this gateway (MAX_OUTPUT_TOKENS)'
      expect(await response.json()).toEqual({
        error: `max_tokens: ${message}`,
        issues: [{ field: 'max_tokens', message }],
      })
    }
  })

  it('without max_tokens the cap is sent upstream; a smaller max_tokens is kept', async () => {
    const binds = bindings({ MAX_OUTPUT_TOKENS: '256' })
    const openai = await scenario({ fixture: 'openai-chat-basic.sse' })
    await (
      await call(binds, '/api/stream/chat', jsonPost({ user_input: 'Hi', provider: 'openai', model: openai }))
    ).text()
    expect((await upstreamRequests(openai))[0]?.body).toMatchObject({ max_completion_tokens: 256 })
    const gemini = await scenario({ fixture: 'gemini-basic.sse' })
    await (await call(binds, `/api/stream/chat-get?user_input=Hi&provider=gemini&model=${gemini}`)).text()
    expect((await upstreamRequests(gemini))[0]?.body).toMatchObject({ generationConfig: { maxOutputTokens: 256 } })
    const ask = await scenario({ fixture: 'openai-chat-basic.sse' })
    const answered = await call(
      binds,
      '/api/flows/ask',
      jsonPost({ user_input: 'Hi', provider: 'openai', model: ask, max_tokens: 100 }),
    )
    expect(answered.status).toBe(200)
    expect((await upstreamRequests(ask))[0]?.body).toMatchObject({ max_completion_tokens: 100 })
  })

  it('unset: any model and max_tokens go upstream as asked', async () => {
    const model = await scenario({ fixture: 'openai-chat-basic.sse' })
    const response = await call(
      bindings({}),
      '/api/stream/chat',
      jsonPost({ user_input: 'Hi', provider: 'openai', model, max_tokens: 1_000_000 }),
    )
    expect(response.status).toBe(200)
    await response.text()
    const body = (await upstreamRequests(model))[0]?.body as Record<string, unknown>
    expect(body.max_completion_tokens).toBe(1_000_000)
  })
})
