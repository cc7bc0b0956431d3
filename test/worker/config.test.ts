import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { inProcessApp, readStream, scenario, upstreamRequests } from './helpers'

/** Calls a fresh app with extra bindings, in this isolate. */
function withBindings(
  bindings: Record<string, string | undefined>,
  path: string,
  init?: RequestInit,
): Promise<Response> {
  return Promise.resolve(inProcessApp().fetch(new Request(`http://gateway.test${path}`, init), { ...env, ...bindings }))
}

describe('an unfilled secret (.dev.vars.example copied as it is)', () => {
  it('is not a configured key: /health says so and a request gets the error event naming it', async () => {
    const blank = { OPENAI_API_KEY: '', GEMINI_API_KEY: '   ' }
    const health = (await (await withBindings(blank, '/health')).json()) as {
      providers: Record<'openai' | 'gemini', { configured: boolean }>
    }
    expect(health.providers.openai.configured).toBe(false)
    expect(health.providers.gemini.configured).toBe(false)

    for (const [provider, binding] of [
      ['openai', 'OPENAI_API_KEY'],
      ['gemini', 'GEMINI_API_KEY'],
    ] as const) {
      const response = await withBindings(blank, '/api/stream/chat', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user_input: 'Hi', provider }),
      })
      const { events } = await readStream(response)
      expect(events).toHaveLength(1)
      expect(events[0]).toEqual({ error: expect.stringContaining(binding), done: true })
      expect(events[0]?.error).toMatch(new RegExp(`^${provider}: no API key configured`))
    }
  })
})

describe('AI_GATEWAY_TOKEN (an authenticated Cloudflare AI Gateway)', () => {
  for (const [provider, fixture] of [
    ['openai', 'openai-chat-basic.sse'],
    ['gemini', 'gemini-basic.sse'],
  ] as const) {
    it(`${provider}: sends cf-aig-authorization with the token, and only when it is set`, async () => {
      for (const token of ['aig-secret-token', '']) {
        const model = await scenario({ fixture })
        const response = await withBindings({ AI_GATEWAY_TOKEN: token }, '/api/stream/chat', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user_input: 'Hi', provider, model }),
        })
        const { events } = await readStream(response)
        expect(events.at(-1)).toMatchObject({ done: true, finish_reason: 'stop' })
        const [request] = await upstreamRequests(model)
        expect(request?.headers['cf-aig-authorization']).toBe(token ? `Bearer ${token}` : undefined)
      }
    })
  }
})
