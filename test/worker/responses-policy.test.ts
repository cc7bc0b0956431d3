/**
 * The gateway's rules on `/v1/responses`, as on chat completions: ALLOWED_MODELS, MAX_OUTPUT_TOKENS
 * on `max_output_tokens`, MAX_INPUT_CHARS on the whole conversation, access tokens, FALLBACK
 * (translated per provider), token budgets, RESUMABLE=off, and one log line per request naming the
 * hosted tools it dropped.
 */
import OpenAI from 'openai'
import { afterEach, describe, expect, it } from 'vitest'
import { bindings, call, captureLogs, jsonPost } from './app-call'
import { gateway, geminiFixtureText, openaiFixtureText, scenario, upstreamRequests } from './helpers'
import { logLineFor, rejection, sdkWith } from './openai-api-helpers'
import { readResponsesStream } from '../support/responses-sse'

const logs = captureLogs()
afterEach(() => logs.lines.splice(0))
type APIError = InstanceType<typeof OpenAI.APIError>

describe('policy on /v1/responses', () => {
  it('ALLOWED_MODELS: another model is a 400 naming model, without an upstream request', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const client = sdkWith(bindings({ ALLOWED_MODELS: 'gemini:gemini-2.5-pro' }))
    const error = (await rejection(client.responses.create({ model: `gemini/${model}`, input: 'Hi' }))) as APIError
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect(error.error).toMatchObject({
      param: 'model',
      message: `model: "${model}" is not allowed for gemini on this gateway; allowed: "gemini-2.5-flash", "gemini-2.5-pro" (ALLOWED_MODELS)`,
    })
    expect(await upstreamRequests(model)).toHaveLength(0)
  })

  it('MAX_OUTPUT_TOKENS: a larger max_output_tokens is a 400 naming it; without one the cap goes upstream', async () => {
    const gemini = await scenario({ fixture: 'gemini-basic.sse' })
    const openai = await scenario({ fixture: 'openai-responses-text.json' })
    const client = sdkWith(bindings({ MAX_OUTPUT_TOKENS: '300' }))
    const error = (await rejection(
      client.responses.create({ model: `gemini/${gemini}`, input: 'Hi', max_output_tokens: 301 }),
    )) as APIError
    expect(error.error).toMatchObject({
      param: 'max_output_tokens',
      message: 'max_output_tokens: must be at most 300 on this gateway (MAX_OUTPUT_TOKENS)',
    })
    await client.responses.create({ model: `gemini/${gemini}`, input: 'Hi' })
    await client.responses.create({ model: `openai/${openai}`, input: 'Hi' })
    const [geminiRequest] = await upstreamRequests(gemini)
    const [openaiRequest] = await upstreamRequests(openai)
    expect((geminiRequest!.body as { generationConfig: unknown }).generationConfig).toMatchObject({
      maxOutputTokens: 300,
    })
    expect(openaiRequest!.body).toEqual({ model: openai, input: 'Hi', max_output_tokens: 300 })
  })

  it('MAX_INPUT_CHARS counts the instructions and the input: over it, a 400 naming input', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const client = sdkWith(bindings({ MAX_INPUT_CHARS: '10' }))
    const error = (await rejection(
      client.responses.create({ model: `gemini/${model}`, instructions: 'Be brief.', input: 'Hello' }),
    )) as APIError
    expect(error.error).toMatchObject({
      param: 'input',
      message:
        "input: the conversation's text (instructions, input and earlier turns) must be at most 10 characters on this gateway (got 14; MAX_INPUT_CHARS)",
    })
  })

  it('ACCESS_TOKENS: without the token, 401 in OpenAI’s shape', async () => {
    const client = sdkWith(bindings({ ACCESS_TOKENS: 'right-token' }), 'wrong-token')
    const error = (await rejection(client.responses.create({ model: 'gemini-2.5-flash', input: 'Hi' }))) as APIError
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError)
    expect(error.error).toMatchObject({ code: 'invalid_api_key' })
  })

  it('a parameter Gemini cannot honour is a 400 naming it; OpenAI gets it as it is', async () => {
    const gemini = await scenario({ fixture: 'gemini-basic.sse' })
    const error = (await rejection(
      sdkWith(bindings({})).responses.create({ model: `gemini/${gemini}`, input: 'Hi', top_logprobs: 5 }),
    )) as APIError
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect(error.error).toMatchObject({ param: 'top_logprobs' })
    expect(await upstreamRequests(gemini)).toHaveLength(0)
  })
})

describe('one log line per request', () => {
  it('names the provider, model, response id, the hosted tools dropped and the answer’s figures', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const { data, response } = await sdkWith(bindings({}))
      .responses.create({
        model: `gemini/${model}`,
        input: 'Hi',
        tools: [{ type: 'web_search' }, { type: 'function', name: 'now', parameters: null, strict: false }],
      })
      .withResponse()
    expect(data.tools).toEqual([{ type: 'function', name: 'now', parameters: null, strict: false }])
    expect(logLineFor(logs, response.headers.get('x-request-id'))).toMatchObject({
      method: 'POST',
      route: '/v1/responses',
      provider: 'gemini',
      model: 'gemini-2.0-flash',
      response_id: data.id,
      dropped_tools: ['web_search'],
      status: 200,
      outcome: 'done',
      finish_reason: 'STOP',
      usage: { input_tokens: 7, output_tokens: 10, total_tokens: 17 },
    })
  })
})

describe('FALLBACK on /v1/responses, translated per provider', () => {
  it('Gemini down: the OpenAI entry answers through chat completions, rendered as Responses events', async () => {
    const down = await scenario({ fixture: 'gemini-error-503-overloaded.json' })
    const backup = await scenario({ fixture: 'openai-chat-basic.sse' })
    const client = sdkWith(bindings({ FALLBACK: `openai:${backup}`, RETRIES: '0' }))
    const response = await client.responses.create({ model: `gemini/${down}`, input: 'Hi' })
    expect(response.status).toBe('completed')
    expect(response.output_text).toBe(await openaiFixtureText('openai-chat-basic.sse'))
    const [forwarded] = await upstreamRequests(backup)
    expect(forwarded!.path).toBe('/v1/chat/completions')
    expect(forwarded!.body).toMatchObject({ model: backup, messages: [{ role: 'user', content: 'Hi' }] })
  })

  it('OpenAI down: the Gemini entry answers, translated; never for a conversation OpenAI keeps', async () => {
    const down = await scenario({ fixture: 'openai-error-503-overloaded.json' })
    const backup = await scenario({ fixture: 'gemini-basic.sse' })
    const client = sdkWith(bindings({ FALLBACK: `gemini:${backup}`, RETRIES: '0' }))
    const response = await client.responses.create({ model: `openai/${down}`, input: 'Hi' })
    expect(response.output_text).toBe(await geminiFixtureText('gemini-basic.sse'))
    const error = (await rejection(
      client.responses.create({ model: `openai/${down}`, input: 'And?', previous_response_id: 'resp_abc' }),
    )) as APIError
    expect(error.status).toBe(503)
    expect(await upstreamRequests(backup)).toHaveLength(1)
  })
})

describe('token budgets and RESUMABLE=off', () => {
  it('TOKEN_BUDGET: the budget headers, and the granted output ceiling sent to Gemini', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const response = await call(
      bindings({ TOKEN_BUDGET: '100000/1d' }),
      '/v1/responses',
      jsonPost(
        { model: `gemini/${model}`, input: 'Hi', max_output_tokens: 200 },
        { 'cf-connecting-ip': '203.0.113.77' },
      ),
    )
    expect(response.status).toBe(200)
    expect(Number(response.headers.get('x-budget-remaining'))).toBeLessThan(100_000)
    const [request] = await upstreamRequests(model)
    expect((request!.body as { generationConfig: unknown }).generationConfig).toMatchObject({ maxOutputTokens: 200 })
  })

  it('RESUMABLE=off: a stream without ids; background and previous_response_id are 400s naming them', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const binds = bindings({ RESUMABLE: 'off' })
    const response = await call(
      binds,
      '/v1/responses',
      jsonPost({ model: `gemini/${model}`, input: 'Hi', stream: true }),
    )
    expect(response.headers.get('x-stream-id')).toBeNull()
    const events = readResponsesStream(await response.text())
    expect(events.at(-1)!.type).toBe('response.completed')
    for (const [field, body] of [
      ['background', { background: true }],
      ['previous_response_id', { previous_response_id: 'resp_abc' }],
    ] as const) {
      const refused = await call(binds, '/v1/responses', jsonPost({ model: `gemini/${model}`, input: 'Hi', ...body }))
      expect(refused.status).toBe(400)
      expect(await refused.json()).toMatchObject({
        error: { param: field, message: expect.stringContaining('(RESUMABLE=off)') },
      })
    }
  })
})

describe('/openapi.json', () => {
  it('describes the Responses endpoints', async () => {
    const doc = (await (await gateway('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> }
    expect(Object.keys(doc.paths['/v1/responses'] ?? {})).toEqual(['post'])
    expect(Object.keys(doc.paths['/v1/responses/{response_id}'] ?? {}).sort()).toEqual(['delete', 'get'])
    expect(Object.keys(doc.paths['/v1/responses/{response_id}/cancel'] ?? {})).toEqual(['post'])
  })
})
