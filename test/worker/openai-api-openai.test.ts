/**
 * The OpenAI-compatible API in front of OpenAI (pass-through), on workerd, with the official
 * openai SDK as the client; plus routing, parameter errors, /v1/models and the OpenAPI document.
 */
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { fixtureBytes, gateway, openaiFixtureText, scenario, upstreamRequests, waitFor } from './helpers'
import { collect, collectUntilError, rejection, sdk } from './openai-api-helpers'

const openai = sdk()
const HI = [{ role: 'user' as const, content: 'Hi' }]
const post = (body: unknown) =>
  gateway('/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

describe('OpenAI through /v1/chat/completions: a pass-through', () => {
  for (const fixture of [
    'openai-chat-basic.sse',
    'openai-chat-usage.sse',
    'openai-chat-multibyte.sse',
    'openai-chat-refusal.sse',
  ]) {
    it(`${fixture}: the client gets the upstream's bytes as they are`, async () => {
      const model = await scenario({ fixture, chunking: { bytes: 7 } })
      const response = await post({ model: `openai/${model}`, messages: HI, stream: true })
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
      expect(new Uint8Array(await response.arrayBuffer())).toEqual(await fixtureBytes(fixture))
    })
  }

  it('forwards the request with only the model rewritten, with the configured key', async () => {
    const model = await scenario({ fixture: 'openai-chat-basic.sse' })
    const body = {
      model: `openai/${model}`,
      messages: [{ role: 'developer', content: 'Be brief.' }, ...HI],
      stream: true,
      stream_options: { include_usage: true },
      n: 2,
      logprobs: true,
      temperature: 0.4,
      tools: [{ type: 'function', function: { name: 'now' } }],
    }
    const { text } = await collect(
      await openai.chat.completions.create(body as OpenAI.ChatCompletionCreateParamsStreaming),
    )
    expect(text).toBe(await openaiFixtureText('openai-chat-basic.sse'))
    const [request] = await upstreamRequests(model)
    expect(request!.path).toBe('/v1/chat/completions')
    expect(request!.headers.authorization).toBe('Bearer sk-test-openai-key')
    expect(request!.body).toEqual({ ...body, model })
  })

  it('the SDK reads a recorded tool call stream', async () => {
    const model = await scenario({ fixture: 'openai-chat-tool-call.sse' })
    const { chunks, finish } = await collect(
      await openai.chat.completions.create({
        model: `openai/${model}`,
        messages: HI,
        stream: true,
        tools: [{ type: 'function', function: { name: 'get_weather' } }],
      }),
    )
    const args = chunks.map((chunk) => chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? '').join('')
    expect(JSON.parse(args)).toEqual({ city: 'San Francisco', state: 'CA' })
    expect(chunks[0]!.choices[0]!.delta.tool_calls![0]).toMatchObject({
      index: 0,
      id: 'call_CTf1nWJLqSeRgDqaCG27xZ74',
      function: { name: 'get_weather' },
    })
    expect(finish).toBe('tool_calls')
  })

  it('not streamed: the upstream JSON as it is', async () => {
    const completion = {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1755137933,
      model: 'gpt-4.1-mini-2025-04-14',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello!', refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 8, completion_tokens: 2, total_tokens: 10 },
    }
    const model = await scenario({
      body: JSON.stringify(completion, null, 2),
      status: 200,
      headers: { 'content-type': 'application/json' },
    })
    expect(await openai.chat.completions.create({ model: `openai/${model}`, messages: HI })).toEqual(completion)
  })

  it('an error frame from OpenAI mid-stream reaches the SDK as APIError', async () => {
    const fixture = 'openai-chat-midstream-error.constructed.sse'
    const model = await scenario({ fixture })
    const { text, error } = await collectUntilError(
      await openai.chat.completions.create({ model: `openai/${model}`, messages: HI, stream: true }),
    )
    expect(text).toBe(await openaiFixtureText(fixture))
    expect(error).toBeInstanceOf(OpenAI.APIError)
    expect((error as Error).message).toContain('The server had an error processing your request')
  })

  it('a connection cut mid-stream: complete events pass, then an error frame (no half event)', async () => {
    const model = await scenario({ fixture: 'openai-chat-basic.sse', chunking: { bytes: 50 }, dropAfterWrites: 9 })
    const response = await post({ model: `openai/${model}`, messages: HI, stream: true })
    const raw = await response.text()
    const fixture = new TextDecoder().decode(await fixtureBytes('openai-chat-basic.sse'))
    const cut = raw.indexOf('data: {"error"')
    expect(cut).toBeGreaterThan(0)
    const passed = raw.slice(0, cut)
    expect(fixture.startsWith(passed)).toBe(true)
    expect(passed.endsWith('\n\n')).toBe(true)
    expect(passed.length).toBeLessThanOrEqual(450)
    expect(JSON.parse(raw.slice(cut + 6, raw.indexOf('\n\n', cut)))).toEqual({
      error: {
        message:
          'openai: the connection to the provider closed before the answer was complete. The answer is incomplete; retry.',
        type: 'server_error',
        param: null,
        code: 'truncated',
      },
      request_id: response.headers.get('x-request-id'),
    })
    expect(raw.endsWith('data: [DONE]\n\n')).toBe(true)
  })

  it('a huge error body is not read whole: the gateway answers from its first 64 KiB', async () => {
    // 4 MiB of an HTML error page, written slowly enough that reading it all would take seconds.
    const body = `<html><body>${'x'.repeat(4 * 1024 * 1024)}</body></html>`
    const model = await scenario({
      body,
      status: 500,
      headers: { 'content-type': 'text/html' },
      chunking: { bytes: 65_536 },
      delayMs: 20,
    })
    const startedAt = Date.now()
    const response = await post({ model: `openai/${model}`, messages: HI, stream: true })
    expect(response.status).toBe(500)
    const { error } = (await response.json()) as { error: { message: string } }
    expect(error.message).toBe('openai: server error (500). Retry later.')
    // Each attempt (a 500 is retried) stops reading after 64 KiB: 64 writes of 64 KiB, 20 ms apart,
    // would take over a second per attempt to read to the end.
    // The last attempt's close reaches the fake upstream just after the answer: wait for it.
    const requests = await waitFor(async () => {
      const logged = await upstreamRequests(model)
      return logged.length > 0 && logged.every((request) => request.closedAt !== undefined) ? logged : undefined
    }, 1000)
    expect(requests, 'an upstream connection was still open 1 s after the answer').toBeDefined()
    for (const request of requests!) {
      expect(request.clientClosedEarly).toBe(true)
      expect(request.closedAt! - request.receivedAt).toBeLessThan(800)
    }
    expect(Date.now() - startedAt).toBeLessThan(5000)
  })

  it('a redirect from the upstream is not followed (the key stays with the configured origin): 502', async () => {
    for (const provider of ['openai', 'gemini'] as const) {
      const model = await scenario({ body: '', status: 307, headers: { location: 'http://127.0.0.1:9/steal' } })
      const response = await post({ model: `${provider}/${model}`, messages: HI, stream: true })
      expect(response.status).toBe(502)
      const { error } = (await response.json()) as { error: { message: string } }
      const binding = provider === 'openai' ? 'OPENAI_BASE_URL' : 'GEMINI_BASE_URL'
      expect(error.message).toBe(
        `${provider}: the provider answered with a redirect (HTTP 307), which the gateway does not follow so that the API key only goes to ${binding}. Check ${binding}: it must be the API's own address.`,
      )
      expect(await upstreamRequests(model)).toHaveLength(1)
    }
  })

  const errors: [string, number, abstract new (...args: never[]) => Error, string][] = [
    [
      'openai-error-401-invalid-api-key.json',
      401,
      OpenAI.AuthenticationError,
      'openai: invalid API key (401: Incorrect API key provided: sk-tes… You can find',
    ],
    [
      'openai-error-404-model-not-found.json',
      404,
      OpenAI.NotFoundError,
      'openai: model or endpoint not found (404: The model `gpt-4.1-nano-wrong` does not exist',
    ],
    [
      'openai-error-429-rate-limit.json',
      429,
      OpenAI.RateLimitError,
      'openai: rate limit or quota exceeded (429: Rate limit reached for gpt-4o-mini',
    ],
    [
      'openai-error-400-unsupported-parameter.json',
      400,
      OpenAI.BadRequestError,
      "openai: request rejected (400: Unsupported parameter: 'max_tokens'",
    ],
    [
      'openai-error-503-overloaded.json',
      503,
      OpenAI.InternalServerError,
      'openai: service unavailable or overloaded (503',
    ],
  ]
  for (const [fixture, status, ErrorClass, message] of errors) {
    it(`${fixture} → ${ErrorClass.name} ${status}, OpenAI's fields kept, the key never shown`, async () => {
      const model = await scenario({ fixture })
      const upstream = JSON.parse(new TextDecoder().decode(await fixtureBytes(fixture))) as {
        error: Record<string, unknown>
      }
      for (const stream of [true, false]) {
        const error = (await rejection(
          openai.chat.completions.create({ model: `openai/${model}`, messages: HI, stream }),
        )) as InstanceType<typeof OpenAI.APIError>
        expect(error).toBeInstanceOf(ErrorClass)
        expect(error.status).toBe(status)
        expect(error.message.startsWith(`${status} ${message}`), error.message).toBe(true)
        expect(error.message).not.toContain('1234')
        expect(error.error).toMatchObject({
          type: upstream.error.type,
          param: upstream.error.param,
          code: upstream.error.code,
        })
      }
    })
  }
})

describe('routing, parameters, /v1/models, /openapi.json', () => {
  it("an unknown model is OpenAI's 404 model_not_found, without an upstream call", async () => {
    for (const model of ['claude-3-opus', 'mistral/large', 'gemini/', '']) {
      const response = await post({ model, messages: HI })
      const body = (await response.json()) as { error: Record<string, unknown> }
      if (model === '') {
        expect(response.status).toBe(400)
        expect(body.error).toMatchObject({ param: 'model', type: 'invalid_request_error' })
        continue
      }
      expect(response.status).toBe(404)
      expect(body).toEqual({
        error: {
          message: `The model \`${model}\` does not exist or you do not have access to it.`,
          type: 'invalid_request_error',
          param: 'model',
          code: 'model_not_found',
        },
        request_id: response.headers.get('x-request-id'),
      })
    }
    expect(await rejection(openai.chat.completions.create({ model: 'llama-3', messages: HI }))).toBeInstanceOf(
      OpenAI.NotFoundError,
    )
  })

  it('parameters Gemini cannot honour: 400 BadRequestError naming each, nothing sent upstream', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const error = (await rejection(
      openai.chat.completions.create({
        model: `gemini/${model}`,
        messages: HI,
        n: 2,
        logprobs: true,
        top_logprobs: 3,
        stream: true,
      }),
    )) as InstanceType<typeof OpenAI.BadRequestError>
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect(error.status).toBe(400)
    expect(error.error).toEqual({
      message:
        'n: unsupported for Gemini (Gemini returns one choice: n must be 1); logprobs: unsupported for Gemini (Gemini log probabilities are not translated); top_logprobs: unsupported for Gemini (Gemini log probabilities are not translated)',
      type: 'invalid_request_error',
      param: 'n',
      code: 'unsupported_parameter',
    })
    expect(await upstreamRequests(model)).toEqual([])
  })

  it('bad values and bad messages name the parameter', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ temperature: 3 }, 'temperature', /^temperature: must be a number from 0 to 2$/],
      [{ stream_options: { include_usage: true } }, 'stream_options', /only allowed when 'stream' is true/],
      [{ messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role', /must be one of/],
      [
        { messages: [{ role: 'tool', tool_call_id: 'call_x', content: '1' }] },
        'messages[0].tool_call_id',
        /earlier assistant message/,
      ],
      [
        {
          messages: [
            { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] },
          ],
        },
        'messages[0].content[0].image_url.url',
        /data: URL/,
      ],
      [{ response_format: { type: 'yaml' } }, 'response_format', /json_schema/],
      [{ reasoning_effort: 'extreme' }, 'reasoning_effort', /must be one of none, minimal/],
      [{ tool_choice: 'required' }, 'tool_choice', /needs tools/],
      [{ frobnicate: 1 }, 'frobnicate', /unrecognized request argument/],
    ]
    for (const [extra, param, message] of cases) {
      const response = await post({ model: 'gemini/gemini-2.5-flash', messages: HI, ...extra })
      expect(response.status, JSON.stringify(extra)).toBe(400)
      const { error } = (await response.json()) as { error: { param: string; message: string } }
      expect(error.param).toBe(param)
      expect(error.message).toMatch(message)
    }
  })

  it("malformed JSON is a 400 in OpenAI's shape", async () => {
    const response = await gateway('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model":',
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({
      error: {
        message: 'We could not parse the JSON body of your request. Send a JSON object.',
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_json',
      },
      request_id: response.headers.get('x-request-id'),
    })
  })

  it('GET /v1/models lists the configured model of each provider', async () => {
    const list = await openai.models.list()
    expect(list.data).toEqual([
      { id: 'gpt-4.1-mini', object: 'model', created: 0, owned_by: 'openai' },
      { id: 'gemini-2.5-flash', object: 'model', created: 0, owned_by: 'google' },
    ])
  })

  it('/openapi.json documents both endpoints', async () => {
    const doc = (await (await gateway('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> }
    expect(Object.keys(doc.paths['/v1/chat/completions']!)).toEqual(['post'])
    expect(Object.keys(doc.paths['/v1/models']!)).toEqual(['get'])
  })
})
