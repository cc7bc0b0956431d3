/**
 * The OpenAI-compatible API in front of OpenAI (pass-through), on workerd, with the official
 * openai SDK as the client; plus routing, parameter errors, /v1/models and the OpenAPI document.
 */
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { bindings, call, jsonPost } from './app-call'
import {
  fixtureBytes,
  gateway,
  openaiFixtureText,
  scenario,
  upstreamRequests,
  waitFor,
  withoutResumeFraming,
} from './helpers'
import { collect, collectUntilError, rejection, sdk, withResumeFraming } from './openai-api-helpers'

const openai = sdk()
const HI = [{ role: 'user' as const, content: 'Hi' }]
const post = (body: unknown) => gateway('/v1/chat/completions', jsonPost(body))

const PASS_THROUGH = [
  'openai-chat-basic.sse',
  'openai-chat-usage.sse',
  'openai-chat-multibyte.sse',
  'openai-chat-refusal.sse',
]

describe('OpenAI through /v1/chat/completions: a pass-through', () => {
  for (const fixture of PASS_THROUGH) {
    it(`${fixture}, RESUMABLE=off: the client gets the upstream's bytes as they are`, async () => {
      const model = await scenario({ fixture, chunking: { bytes: 7 } })
      const response = await call(
        bindings({ RESUMABLE: 'off' }),
        '/v1/chat/completions',
        jsonPost({ model: `openai/${model}`, messages: HI, stream: true }),
      )
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
      expect(response.headers.get('x-stream-id')).toBeNull()
      expect(new Uint8Array(await response.arrayBuffer())).toEqual(await fixtureBytes(fixture))
    })

    it(`${fixture}, resumable: the upstream's events as they are, each under its own id, [DONE] too`, async () => {
      // The whole answer in one write: the events that arrive in one read still get an id each.
      const model = await scenario({ fixture, chunking: 'whole' })
      const response = await post({ model: `openai/${model}`, messages: HI, stream: true })
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
      const streamId = response.headers.get('x-stream-id')
      expect(streamId).toMatch(/^[A-Za-z0-9_-]{24}$/)
      const upstream = new TextDecoder().decode(await fixtureBytes(fixture))
      expect(await response.text()).toBe(withResumeFraming(upstream, streamId!))
    })
  }

  it('forwards the request with only the model rewritten, with the configured key', async () => {
    const model = await scenario({ fixture: 'openai-chat-basic.sse' })
    const body = {
      model: `openai/${model}`,
      messages: [{ role: 'developer', content: 'Be brief.' }, ...HI],
      stream: true,
      stream_options: { include_usage: true },
      n: 1,
      service_tier: 'auto',
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

  it("an error frame from OpenAI mid-stream reaches the SDK as APIError, in the gateway's words", async () => {
    const fixture = 'openai-chat-midstream-error.constructed.sse'
    const model = await scenario({ fixture })
    const { text, error } = await collectUntilError(
      await openai.chat.completions.create({ model: `openai/${model}`, messages: HI, stream: true }),
    )
    expect(text).toBe(await openaiFixtureText(fixture))
    expect(error).toBeInstanceOf(OpenAI.APIError)
    // OpenAI's own text (it may carry the operator's request ids) goes to the log line only.
    expect((error as Error).message).toBe(
      'openai: the provider reported an error during the answer (no status). The answer is incomplete. Retry later.',
    )
    expect((error as Error).message).not.toContain('The server had an error processing your request')
  })

  it('a connection cut mid-stream: complete events pass, then an error frame (no half event)', async () => {
    const model = await scenario({ fixture: 'openai-chat-basic.sse', chunking: { bytes: 50 }, dropAfterWrites: 9 })
    const response = await post({ model: `openai/${model}`, messages: HI, stream: true })
    // Each frame (the error frame and [DONE] too) under its id; without those lines, the direct path's bytes.
    const raw = withoutResumeFraming(await response.text(), response.headers.get('x-stream-id'))
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
    expect(error.message).toBe('openai: server error (HTTP 500). Retry later.')
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
        logprobs: true,
        top_logprobs: 3,
        stream: true,
      }),
    )) as InstanceType<typeof OpenAI.BadRequestError>
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect(error.status).toBe(400)
    expect(error.error).toEqual({
      message:
        'logprobs: unsupported for Gemini (Gemini log probabilities are not translated); top_logprobs: unsupported for Gemini (Gemini log probabilities are not translated)',
      type: 'invalid_request_error',
      param: 'logprobs',
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
