/**
 * FALLBACK on the OpenAI-compatible API, with the official openai SDK as the client: when the model
 * a request names fails before its first frame (after its retries), the next FALLBACK entry answers,
 * translated for its provider; `"fallback": false` opts out; a 400 or a request the entry cannot
 * honour never falls back.
 */
import OpenAI from 'openai'
import { afterEach, describe, expect, it } from 'vitest'
import { bindings, captureLogs } from './app-call'
import { fixturePayloads, geminiFixtureText, openaiFixtureText, scenario, upstreamRequests } from './helpers'
import { collect, rejection, sdkWith, logLineFor } from './openai-api-helpers'

const HI = [{ role: 'user' as const, content: 'Hi' }]
type APIError = InstanceType<typeof OpenAI.APIError>

const logs = captureLogs()
afterEach(() => logs.lines.splice(0))

/** A Gemini model that is down (503 on every request). */
const geminiDown = () => scenario({ fixture: 'gemini-error-503-overloaded.json' })

describe('/v1 fallback (FALLBACK)', () => {
  it('Gemini down: its retries, then the OpenAI entry streams its answer; the log line lists every attempt', async () => {
    const down = await geminiDown()
    const backup = await scenario({ fixture: 'openai-chat-usage.sse' })
    const sdk = sdkWith(bindings({ FALLBACK: `openai:${backup}`, RETRIES: '1' }))
    const { data, response } = await sdk.chat.completions
      .create({ model: `gemini/${down}`, messages: HI, stream: true, stream_options: { include_usage: true } })
      .withResponse()
    const { text, chunks } = await collect(data)
    expect(text).toBe(await openaiFixtureText('openai-chat-usage.sse'))
    // OpenAI's frames as they are: its own model name, not the one asked for.
    expect(new Set(chunks.map((chunk) => chunk.model))).toEqual(new Set(['gpt-5-nano-2025-08-07']))
    expect((await upstreamRequests(down)).map((request) => request.status)).toEqual([503, 503])
    const [forwarded] = await upstreamRequests(backup)
    expect(forwarded!.body).toEqual({
      model: backup,
      messages: HI,
      stream: true,
      stream_options: { include_usage: true },
    })
    expect(logLineFor(logs, response.headers.get('x-request-id'))).toMatchObject({
      route: '/v1/chat/completions',
      status: 200,
      outcome: 'done',
      attempts: [
        { provider: 'gemini', model: down, outcome: 'upstream_status', status: 503, ms: expect.any(Number) },
        { provider: 'gemini', model: down, outcome: 'upstream_status', status: 503, ms: expect.any(Number) },
        { provider: 'openai', model: backup, outcome: 'done', ms: expect.any(Number) },
      ],
    })
  })

  it('OpenAI rate limited, not streamed: the Gemini entry answers, translated, and names its model', async () => {
    const limited = await scenario({ fixture: 'openai-error-429-rate-limit.json' })
    // Gemini's last recorded event as the whole stream (a whole completion is asked for as a stream too).
    const last = JSON.stringify((await fixturePayloads('gemini-basic.sse')).at(-1))
    const whole = await scenario({
      body: `data: ${last}\r\n\r\n`,
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
    })
    const sdk = sdkWith(bindings({ FALLBACK: `gemini:${whole}`, RETRIES: '0' }))
    const completion = await sdk.chat.completions.create({ model: `openai/${limited}`, messages: HI, temperature: 0.2 })
    // The model that answered, as Gemini names it (its modelVersion), not the one asked for.
    expect(completion.model).toBe('gemini-2.0-flash')
    expect(completion.choices[0]!.message.content).toBe(
      (
        JSON.parse(last) as { candidates: { content: { parts: { text: string }[] } }[] }
      ).candidates[0]!.content.parts.map((part) => part.text).join(''),
    )
    expect(await upstreamRequests(limited)).toHaveLength(1)
    const [translated] = await upstreamRequests(whole)
    expect(translated!.path).toBe(`/v1beta/models/${whole}:streamGenerateContent?alt=sse`)
    expect(translated!.body).toMatchObject({
      contents: [{ role: 'user', parts: [{ text: 'Hi' }] }],
      generationConfig: { temperature: 0.2 },
    })
  })

  it('"fallback": false: the requested model\'s own error, and no request to the FALLBACK entry', async () => {
    const down = await geminiDown()
    const backup = await scenario({ fixture: 'openai-chat-basic.sse' })
    const sdk = sdkWith(bindings({ FALLBACK: `openai:${backup}`, RETRIES: '0' }))
    const error = (await rejection(
      sdk.chat.completions.create({ model: `gemini/${down}`, messages: HI, stream: true, fallback: false } as never),
    )) as APIError
    expect(error).toBeInstanceOf(OpenAI.InternalServerError)
    expect(error.status).toBe(503)
    expect(error.message).toBe('503 gemini: service unavailable or overloaded (HTTP 503). Retry in a few seconds.')
    expect(await upstreamRequests(down)).toHaveLength(1)
    expect(await upstreamRequests(backup)).toHaveLength(0)
  })

  it('"fallback" must be a boolean: 400 naming it, nothing upstream', async () => {
    const backup = await scenario({ fixture: 'openai-chat-basic.sse' })
    const error = (await rejection(
      sdkWith(bindings({ FALLBACK: `openai:${backup}` })).chat.completions.create({
        model: `openai/${backup}`,
        messages: HI,
        fallback: 'no',
      } as never),
    )) as APIError
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect(error.error).toMatchObject({ param: 'fallback', type: 'invalid_request_error' })
    expect(await upstreamRequests(backup)).toHaveLength(0)
  })

  it("a 400 from the requested provider is the caller's error: no fallback", async () => {
    const rejected = await scenario({ fixture: 'openai-error-400-unsupported-parameter.json' })
    const backup = await scenario({ fixture: 'gemini-basic.sse' })
    const error = (await rejection(
      sdkWith(bindings({ FALLBACK: `gemini:${backup}` })).chat.completions.create({
        model: `openai/${rejected}`,
        messages: HI,
        stream: true,
      }),
    )) as APIError
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect(await upstreamRequests(backup)).toHaveLength(0)
  })

  it('an entry that cannot honour the request (logprobs on Gemini) is left out; one without a key is skipped', async () => {
    const down = await scenario({ fixture: 'openai-error-503-overloaded.json' })
    const gemini = await scenario({ fixture: 'gemini-basic.sse' })
    const keyless = await scenario({ fixture: 'openai-chat-basic.sse' })
    const sdk = sdkWith(bindings({ FALLBACK: `gemini:${gemini}`, RETRIES: '0' }))
    const error = (await rejection(
      sdk.chat.completions.create({ model: `openai/${down}`, messages: HI, logprobs: true, stream: true }),
    )) as APIError
    expect(error.status).toBe(503)
    expect(await upstreamRequests(gemini)).toHaveLength(0)

    const geminiDownModel = await geminiDown()
    const noKey = sdkWith(bindings({ FALLBACK: `openai:${keyless}`, RETRIES: '0', OPENAI_API_KEY: undefined }))
    const failed = (await rejection(
      noKey.chat.completions.create({ model: `gemini/${geminiDownModel}`, messages: HI, stream: true }),
    )) as APIError
    expect(failed.status).toBe(503)
    expect(await upstreamRequests(keyless)).toHaveLength(0)
  })

  it('the requested provider has no key: the FALLBACK entry answers', async () => {
    const backup = await scenario({ fixture: 'gemini-basic.sse' })
    const sdk = sdkWith(bindings({ FALLBACK: `gemini:${backup}`, OPENAI_API_KEY: undefined }))
    const { text } = await collect(
      await sdk.chat.completions.create({ model: 'gpt-4.1-mini', messages: HI, stream: true }),
    )
    expect(text).toBe(await geminiFixtureText('gemini-basic.sse'))
    expect(await upstreamRequests(backup)).toHaveLength(1)
  })
})
