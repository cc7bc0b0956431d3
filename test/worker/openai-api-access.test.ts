/**
 * The OpenAI-compatible API behind the gateway's access control, rate limits and model policy, with the
 * official openai SDK as the client: the errors are OpenAI's shapes, so the SDK raises its usual classes.
 */
import { sign } from 'hono/jwt'
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { openaiFixtureText, scenario, upstreamRequests, geminiFixtureText } from './helpers'
import { bindings, call, jsonPost } from './app-call'
import { collect, rejection, sdkWith } from './openai-api-helpers'

const TOKENS = ['tok-alpha-7Qm2xV9pL4sR8wKd', 'tok-beta-3Hn6yB1cT5gZ0jFe']
const SECRET = 'signing-secret-Wq8eR4tY2uI6oP0a'
const closed = bindings({ ACCESS_TOKENS: TOKENS.join(','), TOKEN_SIGNING_SECRET: SECRET })
const HI = [{ role: 'user' as const, content: 'Hi' }]

/** The SDK against a fresh app in this isolate with these bindings (one object: its limits persist). */

type APIError = InstanceType<typeof OpenAI.APIError>

describe('/v1 access control (ACCESS_TOKENS, TOKEN_SIGNING_SECRET)', () => {
  it("no token: 401 in OpenAI's shape on both routes, WWW-Authenticate, request id", async () => {
    for (const [path, init] of [
      ['/v1/chat/completions', jsonPost({ model: 'gemini-2.5-flash', messages: HI })],
      ['/v1/models', {}],
    ] as const) {
      const response = await call(closed, path, init)
      expect(response.status).toBe(401)
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="llm-sse-gateway"')
      const requestId = response.headers.get('x-request-id')
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/)
      expect(await response.json()).toEqual({
        error: {
          message:
            'access: this gateway needs an access token. Send "Authorization: Bearer <token>", or add "?access_token=<token>" to the URL (for EventSource), with a token from ACCESS_TOKENS or one signed with TOKEN_SIGNING_SECRET.',
          type: 'invalid_request_error',
          param: null,
          code: 'missing_api_key',
        },
        request_id: requestId,
      })
    }
  })

  it('a wrong token: the SDK raises AuthenticationError (401, invalid_api_key), nothing goes upstream', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const sdk = sdkWith(closed, 'tok-alpha-7Qm2xV9pL4sR8wKe')
    // Thunks: each request starts only when awaited, so no rejection is ever left unhandled.
    for (const request of [
      () => sdk.chat.completions.create({ model: `gemini/${model}`, messages: HI, stream: true }),
      () => sdk.models.list(),
    ]) {
      const error = (await rejection(request())) as APIError
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError)
      expect(error.status).toBe(401)
      expect(error.error).toEqual({
        message: expect.stringMatching(/^access: the access token is not valid \(or has expired\)\./),
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      })
      expect(error.requestID).toMatch(/^[0-9a-f-]{36}$/)
    }
    expect(await upstreamRequests(model)).toEqual([])
  })

  it("a static token as the SDK's API key: streams and lists the models", async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const { text } = await collect(
      await sdkWith(closed, TOKENS[1]!).chat.completions.create({
        model: `gemini/${model}`,
        messages: HI,
        stream: true,
      }),
    )
    expect(text).toBe(await geminiFixtureText('gemini-basic.sse'))
    expect((await sdkWith(closed, TOKENS[0]!).models.list()).data.map((entry) => entry.id)).toEqual([
      'gpt-4.1-mini',
      'gemini-2.5-flash',
    ])
  })

  it('a JWT signed with TOKEN_SIGNING_SECRET works as the API key; an expired one is AuthenticationError', async () => {
    const model = await scenario({ fixture: 'openai-chat-basic.sse' })
    const now = Math.floor(Date.now() / 1000)
    const valid = await sign({ sub: 'alice', exp: now + 600 }, SECRET, 'HS256')
    const completion = await sdkWith(closed, valid).chat.completions.create({
      model: `openai/${model}`,
      messages: HI,
      stream: true,
    })
    expect((await collect(completion)).text).toBe(await openaiFixtureText('openai-chat-basic.sse'))
    const expired = await sign({ sub: 'alice', exp: now - 10 }, SECRET, 'HS256')
    expect(await rejection(sdkWith(closed, expired).models.list())).toBeInstanceOf(OpenAI.AuthenticationError)
  })
})

describe('/v1 rate limits (RATE_LIMIT)', () => {
  it('over the limit: RateLimitError (429, rate_limit_exceeded) with Retry-After, per caller', async () => {
    const limited = bindings({ ACCESS_TOKENS: TOKENS.join(','), RATE_LIMIT: '2/60s', RATE_LIMITER: undefined })
    const sdk = sdkWith(limited, TOKENS[0]!)
    await sdk.models.list()
    await sdk.models.list()
    const error = (await rejection(sdk.models.list())) as APIError
    expect(error).toBeInstanceOf(OpenAI.RateLimitError)
    expect(error.status).toBe(429)
    expect(Number(error.headers?.get('retry-after'))).toBeGreaterThanOrEqual(59)
    expect(error.error).toEqual({
      message: expect.stringMatching(/^rate limit: too many requests from this caller\. Retry after (59|60) s\.$/),
      type: 'requests',
      param: null,
      code: 'rate_limit_exceeded',
    })
    // The limit counts chat completions too, and another caller has its own bucket.
    expect(await rejection(sdk.chat.completions.create({ model: 'gemini-2.5-flash', messages: HI }))).toBeInstanceOf(
      OpenAI.RateLimitError,
    )
    expect((await sdkWith(limited, TOKENS[1]!).models.list()).data).toHaveLength(2)
  })
})

describe('/v1 model policy (ALLOWED_MODELS, MAX_OUTPUT_TOKENS, MAX_INPUT_CHARS)', () => {
  const policy = bindings({ ALLOWED_MODELS: 'gemini:gemini-2.5-pro', MAX_OUTPUT_TOKENS: '256', MAX_INPUT_CHARS: '50' })
  const sdk = sdkWith(policy, 'unused')

  it('a model outside ALLOWED_MODELS: BadRequestError naming it and the allowed ones, nothing upstream', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    for (const stream of [true, false]) {
      const error = (await rejection(
        sdk.chat.completions.create({ model: `gemini/${model}`, messages: HI, stream }),
      )) as APIError
      expect(error).toBeInstanceOf(OpenAI.BadRequestError)
      expect(error.error).toEqual({
        message: `model: "${model}" is not allowed for gemini on this gateway; allowed: "gemini-2.5-flash", "gemini-2.5-pro" (ALLOWED_MODELS)`,
        type: 'invalid_request_error',
        param: 'model',
        code: 'invalid_value',
      })
    }
    expect(await upstreamRequests(model)).toEqual([])
  })

  it('max_completion_tokens / max_tokens over MAX_OUTPUT_TOKENS: 400 naming the field used', async () => {
    for (const field of ['max_completion_tokens', 'max_tokens'] as const) {
      const error = (await rejection(
        sdk.chat.completions.create({ model: 'gemini-2.5-flash', messages: HI, [field]: 257 }),
      )) as APIError
      expect(error).toBeInstanceOf(OpenAI.BadRequestError)
      expect(error.error).toMatchObject({
        param: field,
        message: `${field}: must be at most 256 on this gateway (MAX_OUTPUT_TOKENS)`,
      })
    }
  })

  it('both max_tokens and max_completion_tokens sent: each is checked against MAX_OUTPUT_TOKENS', async () => {
    const open = sdkWith(bindings({ ALLOWED_MODELS: 'openai:*,gemini:*', MAX_OUTPUT_TOKENS: '256' }), 'unused')
    const cases: [Record<string, number>, string][] = [
      [
        { max_tokens: 10, max_completion_tokens: 257 },
        'max_completion_tokens: must be at most 256 on this gateway (MAX_OUTPUT_TOKENS)',
      ],
      [
        { max_completion_tokens: 10, max_tokens: 257 },
        'max_tokens: must be at most 256 on this gateway (MAX_OUTPUT_TOKENS)',
      ],
      [
        { max_completion_tokens: 300, max_tokens: 257 },
        'max_completion_tokens: must be at most 256 on this gateway (MAX_OUTPUT_TOKENS); max_tokens: must be at most 256 on this gateway (MAX_OUTPUT_TOKENS)',
      ],
    ]
    for (const provider of ['openai', 'gemini'] as const) {
      const model = await scenario({ fixture: provider === 'openai' ? 'openai-chat-basic.sse' : 'gemini-basic.sse' })
      for (const [limits, message] of cases) {
        const error = (await rejection(
          open.chat.completions.create({ model: `${provider}/${model}`, messages: HI, stream: true, ...limits }),
        )) as APIError
        expect(error).toBeInstanceOf(OpenAI.BadRequestError)
        expect(error.error).toEqual({
          message,
          type: 'invalid_request_error',
          param: message.slice(0, message.indexOf(':')),
          code: 'invalid_value',
        })
      }
      expect(await upstreamRequests(model)).toEqual([])
    }
  })

  it('without a limit, the request goes upstream with max_completion_tokens = MAX_OUTPUT_TOKENS (both providers)', async () => {
    const capped = sdkWith(bindings({ ALLOWED_MODELS: 'openai:*,gemini:*', MAX_OUTPUT_TOKENS: '256' }), 'unused')
    const openaiModel = await scenario({ fixture: 'openai-chat-basic.sse' })
    await collect(await capped.chat.completions.create({ model: `openai/${openaiModel}`, messages: HI, stream: true }))
    expect((await upstreamRequests(openaiModel))[0]!.body).toEqual({
      model: openaiModel,
      messages: HI,
      stream: true,
      max_completion_tokens: 256,
    })
    const geminiModel = await scenario({ fixture: 'gemini-basic.sse' })
    await collect(await capped.chat.completions.create({ model: `gemini/${geminiModel}`, messages: HI, stream: true }))
    const [request] = await upstreamRequests(geminiModel)
    expect((request!.body as { generationConfig: Record<string, unknown> }).generationConfig.maxOutputTokens).toBe(256)
  })

  it('messages longer than MAX_INPUT_CHARS: 400 naming messages', async () => {
    const error = (await rejection(
      sdk.chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'x'.repeat(51) }] }],
      }),
    )) as APIError
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect(error.error).toMatchObject({
      param: 'messages',
      message: "messages: the messages' text must be at most 50 characters on this gateway (got 51; MAX_INPUT_CHARS)",
    })
  })
})

describe('/v1 from a browser (the openai JS SDK with dangerouslyAllowBrowser)', () => {
  it('the CORS preflight allows the headers the SDK sends, without a token', async () => {
    const sent = [
      'authorization',
      'content-type',
      'x-stainless-lang',
      'x-stainless-package-version',
      'x-stainless-os',
      'x-stainless-arch',
      'x-stainless-runtime',
      'x-stainless-runtime-version',
      'x-stainless-retry-count',
      'x-stainless-timeout',
    ]
    const response = await call(closed, '/v1/chat/completions', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': sent.join(','),
      },
    })
    expect(response.status).toBe(204)
    const allowed = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/\s*,\s*/)
    for (const header of sent) expect(allowed).toContain(header)
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
  })
})

describe('/v1 choices and price tier: the operator pays for every choice and chooses the tier', () => {
  const sdk = sdkWith(bindings({}), 'unused')
  const N = 'n: must be 1 on this gateway (each choice would be a whole answer more)'
  const TIER = 'service_tier: must be "auto" or "default" on this gateway (the price tier is the operator\'s choice)'

  it('n other than 1 and service_tier other than auto/default: 400 naming them, for every provider, nothing upstream', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ n: 2 }, 'n', N],
      [{ service_tier: 'flex' }, 'service_tier', TIER],
      [{ service_tier: 'priority' }, 'service_tier', TIER],
      [{ n: 3, service_tier: 'flex' }, 'n', `${N}; ${TIER}`],
    ]
    for (const provider of ['openai', 'gemini'] as const) {
      const model = await scenario({ fixture: provider === 'openai' ? 'openai-chat-basic.sse' : 'gemini-basic.sse' })
      for (const [extra, param, message] of cases) {
        for (const stream of [true, false]) {
          const error = (await rejection(
            sdk.chat.completions.create({ model: `${provider}/${model}`, messages: HI, stream, ...extra } as never),
          )) as APIError
          expect(error, JSON.stringify(extra)).toBeInstanceOf(OpenAI.BadRequestError)
          expect(error.error).toEqual({ message, type: 'invalid_request_error', param, code: 'invalid_value' })
        }
      }
      expect(await upstreamRequests(model)).toEqual([])
    }
  })

  it('n: 1 and service_tier "auto" or "default" are accepted and go to OpenAI as sent', async () => {
    for (const tier of ['auto', 'default'] as const) {
      const model = await scenario({ fixture: 'openai-chat-basic.sse' })
      const { text } = await collect(
        await sdk.chat.completions.create({
          model: `openai/${model}`,
          messages: HI,
          stream: true,
          n: 1,
          service_tier: tier,
        }),
      )
      expect(text).toBe(await openaiFixtureText('openai-chat-basic.sse'))
      expect((await upstreamRequests(model))[0]!.body).toEqual({
        model,
        messages: HI,
        stream: true,
        n: 1,
        service_tier: tier,
      })
    }
  })
})
