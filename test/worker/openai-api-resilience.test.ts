/**
 * The OpenAI-compatible API with the gateway's retries, timeouts, request ids and log line, with the
 * official openai SDK as the client: a failure before the first frame is retried (never after it), the
 * time limits end the answer with OpenAI's errors, and the request's one log line carries the figures.
 */
import OpenAI from 'openai'
import { afterEach, describe, expect, it } from 'vitest'
import {
  fixtureBytes,
  geminiFixtureText,
  openaiFixtureText,
  scenario,
  upstreamClosedEarly,
  upstreamRequests,
  waitFor,
} from './helpers'
import { bindings, captureLogs } from './app-call'
import { collect, collectUntilError, rejection, sdkWith, logLineFor } from './openai-api-helpers'

const TOKEN = 'tok-resilience-5Kd8Lm2Qx7Wv'
const HI = [{ role: 'user' as const, content: 'Hi' }]
type APIError = InstanceType<typeof OpenAI.APIError>

const logs = captureLogs()
afterEach(() => logs.lines.splice(0))

const sdk = sdkWith(bindings({ ACCESS_TOKENS: TOKEN }), TOKEN)

describe('/v1 retries before the first frame (RETRIES)', () => {
  const cases = [
    ['openai', 'openai-chat-usage.sse', 'openai-error-503-overloaded.json'],
    ['gemini', 'gemini-basic.sse', 'gemini-error-503-overloaded.json'],
  ] as const
  for (const [provider, fixture, failure] of cases) {
    it(`${provider}: a 503, then the answer: the whole answer streams; two upstream requests; one log line with usage`, async () => {
      const model = await scenario({ fixture, firstRequests: [{ fixture: failure }] })
      const { data, response } = await sdk.chat.completions
        .create({ model: `${provider}/${model}`, messages: HI, stream: true, stream_options: { include_usage: true } })
        .withResponse()
      const { text, chunks } = await collect(data)
      expect(text).toBe(provider === 'openai' ? await openaiFixtureText(fixture) : await geminiFixtureText(fixture))
      expect((await upstreamRequests(model)).map((request) => request.status)).toEqual([503, 200])
      const usage = chunks.at(-1)!.usage!
      expect(usage).toBeTruthy()
      const line = logLineFor(logs, response.headers.get('x-request-id'))
      expect(line).toMatchObject({
        route: '/v1/chat/completions',
        method: 'POST',
        caller: 'token:0',
        provider,
        // The model the answer names: OpenAI's own, Gemini's modelVersion.
        model: provider === 'openai' ? 'gpt-5-nano-2025-08-07' : 'gemini-2.0-flash',
        status: 200,
        outcome: 'done',
        // One definition of usage for both providers (OpenAI's audio and prediction counts are not part of it).
        usage: {
          prompt_tokens: usage.prompt_tokens,
          completion_tokens: usage.completion_tokens,
          total_tokens: usage.total_tokens,
          prompt_tokens_details: { cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0 },
          completion_tokens_details: { reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0 },
        },
        attempts: [
          { provider, model, outcome: 'upstream_status', status: 503, ms: expect.any(Number) },
          { provider, model, outcome: 'done', ms: expect.any(Number) },
        ],
      })
      expect(line.ttft_ms).toEqual(expect.any(Number))
      // pieces: the writes to the client (as many as the upstream's reads that completed a frame).
      expect(line.pieces).toBeGreaterThanOrEqual(1)
      expect(line.pieces).toBeLessThanOrEqual(chunks.length + 1)
      // OpenAI's bytes go through as they are; Gemini's are translated.
      if (provider === 'openai') expect(line.bytes).toBe((await fixtureBytes(fixture)).byteLength)
      else expect(line.bytes).toBeGreaterThan(text.length)
    })
  }

  it('not streamed: a 429 with retry-after-ms, then the completion; the log line has its usage', async () => {
    const completion = {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1755137933,
      model: 'gpt-4.1-mini-2025-04-14',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello!', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 8, completion_tokens: 2, total_tokens: 10 },
    }
    const model = await scenario({
      body: JSON.stringify(completion),
      status: 200,
      headers: { 'content-type': 'application/json' },
      firstRequests: [
        {
          body: new TextDecoder().decode(await fixtureBytes('openai-error-429-rate-limit.json')),
          status: 429,
          headers: { 'content-type': 'application/json', 'retry-after-ms': '300' },
        },
      ],
    })
    const { data, response } = await sdk.chat.completions
      .create({ model: `openai/${model}`, messages: HI })
      .withResponse()
    expect(data).toEqual(completion)
    const [first, second] = await upstreamRequests(model)
    expect([first?.status, second?.status]).toEqual([429, 200])
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(280)
    expect(logLineFor(logs, response.headers.get('x-request-id'))).toMatchObject({
      outcome: 'done',
      status: 200,
      model: 'gpt-4.1-mini-2025-04-14',
      finish_reason: 'stop',
      usage: completion.usage,
      bytes: JSON.stringify(completion).length,
    })
  })

  it('RETRIES=0: the 503 is the answer (InternalServerError), one request, logged with its kind', async () => {
    const model = await scenario({
      fixture: 'gemini-basic.sse',
      firstRequests: [{ fixture: 'gemini-error-503-overloaded.json' }],
    })
    const error = (await rejection(
      sdkWith(bindings({ RETRIES: '0' }), TOKEN).chat.completions.create({
        model: `gemini/${model}`,
        messages: HI,
        stream: true,
      }),
    )) as APIError
    expect(error).toBeInstanceOf(OpenAI.InternalServerError)
    expect(error.status).toBe(503)
    expect((error.error as { message: string }).message).toBe(
      'gemini: service unavailable or overloaded (HTTP 503). Retry in a few seconds.',
    )
    expect(await upstreamRequests(model)).toHaveLength(1)
    expect(logLineFor(logs, error.requestID ?? null)).toMatchObject({
      status: 503,
      outcome: 'upstream_status',
      error: {
        kind: 'upstream_status',
        status: 503,
        cause: 'HTTP 503: The model is overloaded. Please try again later',
      },
    })
  })

  it('a cut after the first frame is not retried: the text so far, then the error frame; one request', async () => {
    const model = await scenario({ fixture: 'openai-chat-basic.sse', chunking: { bytes: 50 }, dropAfterWrites: 9 })
    const { data, response } = await sdk.chat.completions
      .create({ model: `openai/${model}`, messages: HI, stream: true })
      .withResponse()
    const { text, error } = await collectUntilError(data)
    expect((await openaiFixtureText('openai-chat-basic.sse')).startsWith(text)).toBe(true)
    expect(error).toBeInstanceOf(OpenAI.APIError)
    expect(await upstreamRequests(model)).toHaveLength(1)
    expect(logLineFor(logs, response.headers.get('x-request-id'))).toMatchObject({
      status: 200,
      outcome: 'truncated',
      error: { kind: 'truncated' },
    })
  })
})

describe('/v1 timeouts', () => {
  it('FIRST_TEXT_TIMEOUT_MS: a provider silent before its first frame is asked again', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse', firstRequests: [{ headersDelayMs: 3000 }] })
    const startedAt = Date.now()
    const { text } = await collect(
      await sdkWith(bindings({ FIRST_TEXT_TIMEOUT_MS: '300' }), TOKEN).chat.completions.create({
        model: `gemini/${model}`,
        messages: HI,
        stream: true,
      }),
    )
    expect(text).toBe(await geminiFixtureText('gemini-basic.sse'))
    expect(Date.now() - startedAt).toBeLessThan(2500)
    expect(await upstreamRequests(model)).toHaveLength(2)
    // The retry does not wait for the first attempt's connection to close: that close can reach the
    // fake upstream after the answer, so wait for it.
    expect(await upstreamClosedEarly(model), 'the first attempt was still open 1 s after the answer').toBeDefined()
  })

  it('FIRST_TEXT_TIMEOUT_MS with no retries left: 504 GatewayTimeout-class error naming the binding', async () => {
    const model = await scenario({ fixture: 'openai-chat-basic.sse', headersDelayMs: 3000 })
    const error = (await rejection(
      sdkWith(bindings({ FIRST_TEXT_TIMEOUT_MS: '300', RETRIES: '0' }), TOKEN).chat.completions.create({
        model: `openai/${model}`,
        messages: HI,
        stream: true,
      }),
    )) as APIError
    expect(error.status).toBe(504)
    expect(error.error as { message: string; code: string }).toMatchObject({
      message:
        'openai: the provider sent no text within 0.3 s (FIRST_TEXT_TIMEOUT_MS), so the request was stopped. Retry later.',
      code: 'first_text_timeout',
    })
  })

  it('MAX_DURATION_MS ends a stream that is still going: the text so far, then an error frame naming it', async () => {
    const model = await scenario({ fixture: 'openai-chat-basic.sse', stallAfterWrites: 3 })
    const { data, response } = await sdkWith(bindings({ MAX_DURATION_MS: '600' }), TOKEN)
      .chat.completions.create({ model: `openai/${model}`, messages: HI, stream: true })
      .withResponse()
    const { error } = await collectUntilError(data)
    expect(error).toBeInstanceOf(OpenAI.APIError)
    expect((error as Error).message).toBe(
      'openai: the answer took longer than 0.6 s (MAX_DURATION_MS), so the request was stopped. Ask for a shorter answer or retry.',
    )
    expect(logLineFor(logs, response.headers.get('x-request-id'))).toMatchObject({
      outcome: 'max_duration',
      status: 200,
    })
    const closed = await waitFor(
      async () => ((await upstreamRequests(model))[0]?.clientClosedEarly ? true : undefined),
      2000,
    )
    expect(closed).toBe(true)
  })
})
