/**
 * What `/v1/chat/completions` sends upstream and makes of odd answers, for both providers, streamed
 * or not: the authenticated AI Gateway's token goes with every request, and a 2xx answer without a
 * body is an error that says so.
 */
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { bindings, call, jsonPost } from './app-call'
import { scenario, upstreamRequests } from './helpers'
import { collect, rejection, sdkWith } from './openai-api-helpers'

const HI = [{ role: 'user' as const, content: 'Hi' }]
const PROVIDERS = ['openai', 'gemini'] as const
const FIXTURE = { openai: 'openai-chat-basic.sse', gemini: 'gemini-basic.sse' }
const AI_GATEWAY_TOKEN = 'aig-token-Hq3vN8xK2mB5'

describe('/v1 behind an authenticated Cloudflare AI Gateway (AI_GATEWAY_TOKEN)', () => {
  it('every upstream request carries cf-aig-authorization: Bearer <AI_GATEWAY_TOKEN> beside the provider key', async () => {
    const binds = bindings({ AI_GATEWAY_TOKEN })
    for (const provider of PROVIDERS) {
      const model = await scenario({ fixture: FIXTURE[provider] })
      for (const stream of [true, false]) {
        const response = await call(
          binds,
          '/v1/chat/completions',
          jsonPost({ model: `${provider}/${model}`, messages: HI, stream }),
        )
        expect(response.status).toBe(200)
        expect(await response.text()).not.toContain(AI_GATEWAY_TOKEN)
      }
      const requests = await upstreamRequests(model)
      expect(requests).toHaveLength(2)
      for (const request of requests) {
        expect(request.headers['cf-aig-authorization']).toBe(`Bearer ${AI_GATEWAY_TOKEN}`)
        if (provider === 'openai') expect(request.headers.authorization).toBe('Bearer sk-test-openai-key')
        else expect(request.headers['x-goog-api-key']).toBe('test-gemini-key')
      }
    }
  })

  it('without it, no cf-aig-authorization header', async () => {
    for (const provider of PROVIDERS) {
      const model = await scenario({ fixture: FIXTURE[provider] })
      await collect(
        await sdkWith(bindings({})).chat.completions.create({
          model: `${provider}/${model}`,
          messages: HI,
          stream: true,
        }),
      )
      expect((await upstreamRequests(model))[0]!.headers['cf-aig-authorization']).toBeUndefined()
    }
  })
})

describe('/v1 and a 2xx answer without a body', () => {
  for (const status of [200, 204]) {
    it(`HTTP ${status} with no body: 502 saying the provider answered with an empty body, not a redirect or a cut`, async () => {
      for (const provider of PROVIDERS) {
        for (const stream of [true, false]) {
          const model = await scenario({ body: '', status, headers: { 'content-type': 'text/event-stream' } })
          const response = await call(
            bindings({ RETRIES: '0' }),
            '/v1/chat/completions',
            jsonPost({ model: `${provider}/${model}`, messages: HI, stream }),
          )
          expect(response.status, `${provider} stream=${stream}`).toBe(502)
          expect(((await response.json()) as { error: unknown }).error).toEqual({
            message: `${provider}: the provider answered with an empty body. Retry.`,
            type: 'server_error',
            param: null,
            code: 'malformed',
          })
          expect(await upstreamRequests(model)).toHaveLength(1)
        }
      }
    })
  }

  it('the SDK raises InternalServerError for it', async () => {
    const model = await scenario({ body: '', status: 200, headers: { 'content-type': 'application/json' } })
    const error = await rejection(
      sdkWith(bindings({})).chat.completions.create({ model: `openai/${model}`, messages: HI }),
    )
    expect(error).toBeInstanceOf(OpenAI.InternalServerError)
  })
})
