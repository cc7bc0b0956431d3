/**
 * Black box: the official openai SDK against the gateway's OpenAI-compatible API (wrangler dev,
 * Bun and Node), with the provider emulator upstream. Every answer is compared exactly with the
 * emulator's `expectedAnswer(...)`; the tool call round trip runs against Gemini.
 *
 * Narrow the runtimes with GATEWAY_RUNTIMES=workers (or bun,node).
 */
import OpenAI from 'openai'
import type { ChatCompletionChunk, ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  expectedAnswer,
  expectedChunks,
  expectedFunctionCall,
  expectedPrefix,
  startEmulator,
  toolResultPrompt,
  type Emulator,
} from '../../emulator/server.ts'
import { RUNTIME_ENTRY, runtimeAvailable, startGateway, type RunningGateway, type Runtime } from '../support/gateway.ts'
import { inOneRateLimitWindow, RATE_LIMIT_WAIT_MS } from '../support/rate-limit-window.ts'

type Provider = 'openai' | 'gemini'
const MODEL: Record<Provider, string> = { openai: 'gpt-4.1-mini', gemini: 'gemini-2.5-flash' }
const PROVIDERS: Provider[] = ['openai', 'gemini']
const PROMPT = 'Xin chào, bạn có khỏe không? 你好 🚀'
const IDLE_TIMEOUT_MS = 1500
const IDLE_MESSAGE =
  'no data from the provider for 1.5 s (UPSTREAM_IDLE_TIMEOUT_MS), so the request was stopped. The answer is incomplete; retry later.'
/** Before the first output the engine's first-output clock applies (each attempt, retried RETRIES times). */
const FIRST_TEXT_TIMEOUT_MS = 2000
const RETRIES = 2
const FIRST_TEXT_MESSAGE =
  'the provider sent no text within 2 s (FIRST_TEXT_TIMEOUT_MS), so the request was stopped. Retry later.'

const wanted = (process.env.GATEWAY_RUNTIMES ?? 'workers,bun,node').split(',').map((s) => s.trim())
const RUNTIMES = (['workers', 'bun', 'node'] as Runtime[]).filter((r) => wanted.includes(r))

async function collect(stream: AsyncIterable<ChatCompletionChunk>) {
  const chunks: ChatCompletionChunk[] = []
  for await (const chunk of stream) chunks.push(chunk)
  const deltas = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta))
  const text = deltas.map((delta) => delta.content ?? '').join('')
  const finish = chunks.flatMap((chunk) => chunk.choices).find((choice) => choice.finish_reason)?.finish_reason
  return { chunks, deltas, text, finish }
}

async function rejection(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await promise
  } catch (error) {
    return error as InstanceType<typeof OpenAI.APIError>
  }
  throw new Error('expected a rejection')
}

/** Reads a stream until the SDK raises: the text that came first, and the error. */
async function untilError(stream: AsyncIterable<ChatCompletionChunk>) {
  let text = ''
  const error = await rejection(
    (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
    })(),
  )
  return { text, error }
}

const user = (content: string): ChatCompletionMessageParam[] => [{ role: 'user', content }]

describe.each(RUNTIMES)('OpenAI-compatible API on %s (openai SDK, emulator upstream)', (runtime) => {
  if (!runtimeAvailable(runtime)) {
    it.skip(`${runtime}: ${RUNTIME_ENTRY[runtime]} does not exist yet`, () => {})
    return
  }

  let emu: Emulator
  let gw: RunningGateway
  let client: OpenAI

  beforeAll(async () => {
    emu = await startEmulator()
    gw = await startGateway({
      runtime,
      upstreamUrl: emu.url,
      vars: {
        UPSTREAM_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
        FIRST_TEXT_TIMEOUT_MS: String(FIRST_TEXT_TIMEOUT_MS),
        RETRIES: String(RETRIES),
      },
      onOutput: process.env.GATEWAY_LOG ? (t) => process.stderr.write(t) : undefined,
    })
    client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'client-token', maxRetries: 0 })
  }, 120_000)
  afterAll(async () => {
    await gw?.stop()
    await emu?.close()
  })
  beforeEach(() => emu.clearRequests())

  it.each(PROVIDERS)('%s: streams the exact answer, piece by piece, finish_reason "stop"', async (provider) => {
    const r = await collect(
      await client.chat.completions.create({ model: MODEL[provider], messages: user(PROMPT), stream: true }),
    )
    expect(r.text).toBe(expectedAnswer(PROMPT, { provider }))
    const pieces = expectedChunks(PROMPT, { provider })
    // OpenAI's own first chunk is role-only (content ""); the Gemini translation puts the role on the first piece.
    const contents = r.deltas.map((delta) => delta.content).filter((content) => content !== undefined && content !== '')
    expect(contents).toEqual(pieces)
    expect(r.deltas[0]).toMatchObject({ role: 'assistant' })
    expect(r.finish).toBe('stop')
    expect(r.chunks.every((chunk) => chunk.usage == null)).toBe(true)
    const [request] = emu.requests()
    expect(request).toMatchObject({ provider, model: MODEL[provider], status: 200, outcome: 'ok', stream: true })
  })

  it.each(PROVIDERS)('%s: without streaming, one chat.completion with the exact answer', async (provider) => {
    const completion = await client.chat.completions.create({ model: MODEL[provider], messages: user(PROMPT) })
    expect(completion.object).toBe('chat.completion')
    expect(completion.choices).toHaveLength(1)
    expect(completion.choices[0]).toMatchObject({
      index: 0,
      finish_reason: 'stop',
      message: { role: 'assistant', content: expectedAnswer(PROMPT, { provider }) },
    })
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens)
  })

  it.each(PROVIDERS)('%s: include_usage adds one last chunk with empty choices and the usage', async (provider) => {
    const prompt = `${PROMPT} [emu thoughts=2]`
    const r = await collect(
      await client.chat.completions.create({
        model: MODEL[provider],
        messages: user(prompt),
        stream: true,
        stream_options: { include_usage: true },
      }),
    )
    expect(r.text).toBe(expectedAnswer(prompt, { provider }))
    const last = r.chunks.at(-1)!
    expect(last.choices).toEqual([])
    expect(last.usage!.prompt_tokens).toBeGreaterThan(0)
    expect(last.usage!.completion_tokens).toBeGreaterThan(0)
    expect(last.usage!.total_tokens).toBe(last.usage!.prompt_tokens + last.usage!.completion_tokens)
    if (provider === 'gemini') expect(last.usage!.completion_tokens_details!.reasoning_tokens).toBeGreaterThan(0)
    for (const chunk of r.chunks.slice(0, -1)) expect(chunk.usage ?? null).toBeNull()
  })

  for (const stream of [true, false]) {
    it(`gemini: a tool call round trip (${stream ? 'streamed' : 'not streamed'}): the call, the result, the answer`, async () => {
      const model = 'gemini-3-flash-preview'
      const prompt = 'Thời tiết ở Hà Nội thế nào? [emu call=get_weather thoughts=1]'
      const tools: OpenAI.ChatCompletionTool[] = [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Weather for a place',
            parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
          },
        },
      ]
      const call = expectedFunctionCall(prompt, 'get_weather')
      let toolCall: OpenAI.ChatCompletionMessageFunctionToolCall
      if (stream) {
        const r = await collect(
          await client.chat.completions.create({ model, messages: user(prompt), tools, stream: true }),
        )
        expect(r.text).toBe('')
        expect(r.finish).toBe('tool_calls')
        const calls = r.deltas.flatMap((delta) => delta.tool_calls ?? [])
        expect(calls).toHaveLength(1)
        expect(calls[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather' } })
        toolCall = {
          id: calls[0]!.id!,
          type: 'function',
          function: { name: calls[0]!.function!.name!, arguments: calls[0]!.function!.arguments! },
        }
      } else {
        const completion = await client.chat.completions.create({ model, messages: user(prompt), tools })
        expect(completion.choices[0]).toMatchObject({ finish_reason: 'tool_calls', message: { content: null } })
        toolCall = completion.choices[0]!.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall
      }
      expect(toolCall.id).toMatch(/^call_/)
      expect(JSON.parse(toolCall.function.arguments)).toEqual(call.args)

      const result = { temperature: 31, unit: 'C', sky: 'nắng' }
      const messages: ChatCompletionMessageParam[] = [
        ...user(prompt),
        { role: 'assistant', content: null, tool_calls: [toolCall] },
        { role: 'tool', tool_call_id: toolCall.id, content: JSON.stringify(result) },
      ]
      const expected = expectedAnswer(toolResultPrompt('get_weather', result), { provider: 'gemini' })
      if (stream) {
        const r = await collect(await client.chat.completions.create({ model, messages, tools, stream: true }))
        expect(r.text).toBe(expected)
        expect(r.finish).toBe('stop')
      } else {
        const completion = await client.chat.completions.create({ model, messages, tools })
        expect(completion.choices[0]!.message.content).toBe(expected)
      }
      // The second request carried the call with its thought signature (Gemini 3 rejects it otherwise).
      const second = emu.requests()[1]!
      expect(second.status).toBe(200)
      expect((second.body as { contents: unknown[] }).contents[1]).toEqual({
        role: 'model',
        parts: [{ functionCall: { name: 'get_weather', args: call.args }, thoughtSignature: expect.any(String) }],
      })
    })
  }

  it('gemini: response_format json_schema and reasoning_effort are translated', async () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] }
    const completion = await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: user(PROMPT),
      response_format: { type: 'json_schema', json_schema: { name: 'reply', schema } },
      reasoning_effort: 'none',
    })
    expect(completion.choices[0]!.message.content).toBe(expectedAnswer(PROMPT, { provider: 'gemini' }))
    const [request] = emu.requests()
    expect((request!.body as { generationConfig: unknown }).generationConfig).toEqual({
      responseMimeType: 'application/json',
      responseJsonSchema: schema,
      thinkingConfig: { thinkingBudget: 0 },
    })
  })

  it('gemini: parameters it cannot honour are a 400 BadRequestError naming them; nothing goes upstream', async () => {
    const error = await rejection(
      client.chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: user('Hi'),
        logprobs: true,
        top_logprobs: 2,
        stream: true,
      }),
    )
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect(error.status).toBe(400)
    expect(error.message).toBe(
      '400 logprobs: unsupported for Gemini (Gemini log probabilities are not translated); top_logprobs: unsupported for Gemini (Gemini log probabilities are not translated)',
    )
    expect(error.param).toBe('logprobs')
    expect(error.code).toBe('unsupported_parameter')
    expect(emu.requests()).toEqual([])
  })

  it.each(PROVIDERS)(
    '%s: n other than 1 is a 400 BadRequestError naming n; nothing goes upstream',
    async (provider) => {
      const error = await rejection(
        client.chat.completions.create({ model: MODEL[provider], messages: user('Hi'), n: 3, stream: true }),
      )
      expect(error).toBeInstanceOf(OpenAI.BadRequestError)
      expect(error.status).toBe(400)
      expect(error.message).toBe('400 n: must be 1 on this gateway (each choice would be a whole answer more)')
      expect(error.param).toBe('n')
      expect(error.code).toBe('invalid_value')
      expect(emu.requests()).toEqual([])
    },
  )

  it('an unknown model is a 404 NotFoundError (model_not_found)', async () => {
    const error = await rejection(client.chat.completions.create({ model: 'claude-3-opus', messages: user('Hi') }))
    expect(error).toBeInstanceOf(OpenAI.NotFoundError)
    expect(error.code).toBe('model_not_found')
  })

  // The provider's status is passed on, except when it rejected the gateway's own key (Gemini's 400
  // API_KEY_INVALID and 403, OpenAI's 401): that is the operator's secret, so a 502, not the client's fault.
  // The provider's status is passed on, except when it rejected the gateway's own key (Gemini's 400
  // API_KEY_INVALID and 403, OpenAI's 401): that is the operator's secret, so a 502, not the client's fault.
  // The messages name the provider, its status, what happened and what to do, never the provider's own
  // words (the emulator's OpenAI 429 carries an organisation id).
  const faults: [Provider, string, number, abstract new (...args: never[]) => Error, string][] = [
    [
      'gemini',
      '429',
      429,
      OpenAI.RateLimitError,
      'rate limit or quota exceeded (HTTP 429). Wait a little and retry, or check the plan and billing of the account.',
    ],
    [
      'gemini',
      'badkey',
      502,
      OpenAI.InternalServerError,
      'invalid API key (HTTP 400). Check the GEMINI_API_KEY secret.',
    ],
    [
      'gemini',
      'nokey',
      502,
      OpenAI.InternalServerError,
      'access denied (HTTP 403). Check that GEMINI_API_KEY is valid and allowed to use this API and model.',
    ],
    [
      'gemini',
      '503',
      503,
      OpenAI.InternalServerError,
      'service unavailable or overloaded (HTTP 503). Retry in a few seconds.',
    ],
    [
      'openai',
      '429',
      429,
      OpenAI.RateLimitError,
      'rate limit or quota exceeded (HTTP 429). Wait a little and retry, or check the plan and billing of the account.',
    ],
    [
      'openai',
      'badkey',
      502,
      OpenAI.InternalServerError,
      'invalid API key (HTTP 401). Check the OPENAI_API_KEY secret.',
    ],
    [
      'openai',
      '404',
      404,
      OpenAI.NotFoundError,
      'model or endpoint not found (HTTP 404). Use a valid model name (request "model" or OPENAI_MODEL) and check OPENAI_BASE_URL.',
    ],
    ['openai', '500', 500, OpenAI.InternalServerError, 'server error (HTTP 500). Retry later.'],
  ]
  for (const [provider, fault, status, ErrorClass, message] of faults) {
    it(`${provider} fault=${fault}: ${ErrorClass.name} ${status}, streamed or not`, async () => {
      for (const stream of [true, false]) {
        const error = await rejection(
          client.chat.completions.create({ model: MODEL[provider], messages: user(`Hi [emu fault=${fault}]`), stream }),
        )
        expect(error).toBeInstanceOf(ErrorClass)
        expect(error.status).toBe(status)
        expect(error.message).toBe(`${status} ${provider}: ${message}`)
      }
    })
  }

  it.each(PROVIDERS)(
    '%s: an error mid-answer arrives after the text so far, and the SDK raises it',
    async (provider) => {
      const prompt = 'Hi [emu fault=midstream after=2]'
      const stream = await client.chat.completions.create({
        model: MODEL[provider],
        messages: user(prompt),
        stream: true,
      })
      const { text, error } = await untilError(stream)
      expect(error).toBeInstanceOf(OpenAI.APIError)
      expect(text).toBe(expectedPrefix(prompt, { provider }))
      // Both in the gateway's words; the provider's own text goes to the log line only.
      expect(error.message).toMatch(new RegExp(`^${provider}: the provider reported an error during the answer \\(`))
      expect(error.message).not.toContain('The server had an error')
    },
  )

  it.each(PROVIDERS)(
    '%s: a provider that goes silent mid-answer ends with an error frame after UPSTREAM_IDLE_TIMEOUT_MS',
    async (provider) => {
      const prompt = 'Hi [emu fault=stall after=2]'
      const stream = await client.chat.completions.create({
        model: MODEL[provider],
        messages: user(prompt),
        stream: true,
      })
      const { text, error } = await untilError(stream)
      expect(text).toBe(expectedPrefix(prompt, { provider }))
      expect(error).toBeInstanceOf(OpenAI.APIError)
      expect(error.message).toBe(`${provider}: ${IDLE_MESSAGE}`)
      await emu.waitForRequest((entry) => entry.clientClosedEarly, 2000)
    },
  )

  it('a provider silent before its first output is a 504 after its retries, every attempt closed (silent from the start, or after a Gemini thought)', async () => {
    // Concurrently: each waits RETRIES + 1 first-output timeouts.
    const silent: [Provider, string][] = [
      ['openai', 'Hi [emu ttft=10000]'],
      ['gemini', 'Hi [emu ttft=10000]'],
      ['gemini', 'Hi [emu thoughts=1 fault=stall after=0]'],
    ]
    const errors = await Promise.all(
      silent.map(([provider, prompt]) =>
        rejection(client.chat.completions.create({ model: MODEL[provider], messages: user(prompt), stream: true })),
      ),
    )
    for (const [i, [provider]] of silent.entries()) {
      expect(errors[i]).toBeInstanceOf(OpenAI.InternalServerError)
      expect(errors[i]!.status).toBe(504)
      expect(errors[i]!.message).toBe(`504 ${provider}: ${FIRST_TEXT_MESSAGE}`)
    }
    const attempts = silent.length * (RETRIES + 1)
    await emu.waitForRequest(() => emu.requests().filter((entry) => entry.clientClosedEarly).length === attempts, 2000)
    const seen = emu.requests().map((entry) => [entry.provider, entry.prompt, entry.clientClosedEarly])
    const expected = silent.flatMap(([provider, prompt]) => Array(RETRIES + 1).fill([provider, prompt, true]))
    expect(seen.sort()).toEqual(expected.sort())
  })

  it('GET /v1/models lists both configured models', async () => {
    const list = await client.models.list()
    expect(list.data.map((model) => model.id)).toEqual(['gpt-4.1-mini', 'gemini-2.5-flash'])
  })
})

/** The same limit as the RATE_LIMITER binding in the wrangler config (120 per 60 s), for Bun and Node. */
const LIMIT = 120
/** The emulator answers every request for this model with a 503, whatever the prompt. */
const GEMINI_DOWN = 'gemini-2.5-flash@emu:fault-503'
const TOKENS = ['tok-e2e-openai-4Rt8Yp2Mx6', 'tok-e2e-openai-9Qw3Zn7Lb1']
const SECRET = 'e2e-openai-signing-Vb5Nc8Xz2'

describe.each(RUNTIMES)('OpenAI-compatible API with access control, limits, policy and retries on %s', (runtime) => {
  if (!runtimeAvailable(runtime)) {
    it.skip(`${runtime}: ${RUNTIME_ENTRY[runtime]} does not exist yet`, () => {})
    return
  }

  let emu: Emulator
  let gw: RunningGateway
  const sdk = (apiKey: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey, maxRetries: 0 })
  const logLine = (requestId: string | null): Record<string, unknown> | undefined =>
    [...gw.output().matchAll(/\{"event":"request".*\}/g)]
      .map((match) => JSON.parse(match[0]) as Record<string, unknown>)
      .find((line) => line.request_id === requestId)

  beforeAll(async () => {
    emu = await startEmulator()
    gw = await startGateway({
      runtime,
      upstreamUrl: emu.url,
      logLevel: 'log',
      vars: {
        ACCESS_TOKENS: TOKENS.join(','),
        TOKEN_SIGNING_SECRET: SECRET,
        RATE_LIMIT: `${LIMIT}/60s`,
        // The emulator's "this provider is down" model is allowed, so that FALLBACK can be seen answering.
        ALLOWED_MODELS: `openai:gpt-4.1-mini,gemini:gemini-2.5-flash,gemini:${GEMINI_DOWN}`,
        MAX_OUTPUT_TOKENS: '300',
        RETRIES: '2',
        FALLBACK: 'openai:gpt-4.1-mini',
      },
      onOutput: process.env.GATEWAY_LOG ? (t) => process.stderr.write(t) : undefined,
    })
  }, 120_000)
  afterAll(async () => {
    await gw?.stop()
    await emu?.close()
  })
  beforeEach(() => emu.clearRequests())

  it('without a token or with a wrong one: AuthenticationError on both routes, nothing upstream', async () => {
    const none = await fetch(`${gw.url}/v1/models`)
    expect(none.status).toBe(401)
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('missing_api_key')
    // Thunks: each request starts only when awaited, so no rejection is ever left unhandled.
    for (const request of [
      () => sdk('tok-wrong').models.list(),
      () => sdk('tok-wrong').chat.completions.create({ model: 'gemini-2.5-flash', messages: user('Hi'), stream: true }),
    ]) {
      const error = await rejection(request())
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError)
      expect(error.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key' })
    }
    expect(emu.requests()).toEqual([])
  })

  it('a static token and a signed JWT both stream', async () => {
    const { sign } = await import('hono/jwt')
    const jwt = await sign({ sub: 'e2e-user', exp: Math.floor(Date.now() / 1000) + 600 }, SECRET, 'HS256')
    for (const key of [TOKENS[0]!, jwt]) {
      const r = await collect(
        await sdk(key).chat.completions.create({ model: MODEL.gemini, messages: user(PROMPT), stream: true }),
      )
      expect(r.text).toBe(expectedAnswer(PROMPT, { provider: 'gemini' }))
    }
  })

  it('a model outside ALLOWED_MODELS: BadRequestError naming it', async () => {
    const error = await rejection(sdk(TOKENS[0]!).chat.completions.create({ model: 'gpt-4o', messages: user('Hi') }))
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect(error.error).toMatchObject({
      param: 'model',
      message: 'model: "gpt-4o" is not allowed for openai on this gateway; allowed: "gpt-4.1-mini" (ALLOWED_MODELS)',
    })
  })

  it.each(PROVIDERS)(
    '%s: a 503, then the answer: the whole answer streams, 2 upstream requests, one log line with usage',
    async (provider) => {
      const prompt = `Retry me v1 ${provider} ${runtime} [emu fail=1 status=503]`
      const { data, response } = await sdk(TOKENS[1]!)
        .chat.completions.create({
          model: MODEL[provider],
          messages: user(prompt),
          stream: true,
          stream_options: { include_usage: true },
        })
        .withResponse()
      const r = await collect(data)
      expect(r.text).toBe(expectedAnswer(prompt, { provider }))
      expect(emu.requests().map((entry) => [entry.provider, entry.attempt, entry.status])).toEqual([
        [provider, 1, 503],
        [provider, 2, 200],
      ])
      const usage = r.chunks.at(-1)!.usage
      expect(usage).toBeTruthy()
      const requestId = response.headers.get('x-request-id')
      const deadline = Date.now() + 3000
      while (!logLine(requestId) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
      expect(logLine(requestId)).toMatchObject({
        route: '/v1/chat/completions',
        caller: 'token:1',
        provider,
        outcome: 'done',
        status: 200,
      })
      // The log keeps the gateway's one usage definition: the client's figures, without OpenAI's extra details.
      expect(logLine(requestId)!.usage).toEqual({
        prompt_tokens: usage!.prompt_tokens,
        completion_tokens: usage!.completion_tokens,
        total_tokens: usage!.total_tokens,
        completion_tokens_details: { reasoning_tokens: usage!.completion_tokens_details?.reasoning_tokens ?? 0 },
        prompt_tokens_details: { cached_tokens: usage!.prompt_tokens_details?.cached_tokens ?? 0 },
      })
    },
  )

  it('a Gemini model that is down: its retries, then FALLBACK answers; with "fallback": false the SDK gets the 503', async () => {
    const prompt = `Fall back v1 ${runtime}`
    const r = await collect(
      await sdk(TOKENS[0]!).chat.completions.create({ model: GEMINI_DOWN, messages: user(prompt), stream: true }),
    )
    expect(r.text).toBe(expectedAnswer(prompt, { provider: 'openai' }))
    expect(r.chunks[0]!.model).toMatch(/^gpt-4\.1-mini/)
    expect(emu.requests().map((entry) => [entry.provider, entry.status])).toEqual([
      ['gemini', 503],
      ['gemini', 503],
      ['gemini', 503],
      ['openai', 200],
    ])
    emu.clearRequests()
    const error = await rejection(
      sdk(TOKENS[0]!).chat.completions.create({
        model: GEMINI_DOWN,
        messages: user(prompt),
        stream: true,
        fallback: false,
      } as never),
    )
    expect(error).toBeInstanceOf(OpenAI.InternalServerError)
    expect(error.status).toBe(503)
    expect(emu.requests().map((entry) => entry.provider)).toEqual(['gemini', 'gemini', 'gemini'])
  })

  it('a flood from one caller: RateLimitError with Retry-After; another caller is still served', {
    timeout: 30_000 + RATE_LIMIT_WAIT_MS,
  }, async () => {
    const flooding = sdk(TOKENS[1]!)
    const { limited, sent } = await inOneRateLimitWindow(runtime, async () => {
      let limited: InstanceType<typeof OpenAI.APIError> | undefined
      let sent = 0
      while (!limited && sent < LIMIT + 40) {
        sent++
        try {
          await flooding.models.list()
        } catch (error) {
          limited = error as InstanceType<typeof OpenAI.APIError>
        }
      }
      return { limited, sent }
    })
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError)
    expect(sent).toBeGreaterThan(LIMIT / 2)
    expect(Number(limited!.headers?.get('retry-after'))).toBeGreaterThan(0)
    expect(limited!.error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded' })
    expect((await sdk(TOKENS[0]!).models.list()).data).toHaveLength(2)
  })
})
