import { describe, expect, it } from 'vitest'
import { openaiFixtureText, postChat, readStream, scenario, upstreamRequests } from './helpers'

/** Streams `fixture` through the gateway as the OpenAI provider and returns what the client got. */
async function streamFixture(definition: Parameters<typeof scenario>[0], body: Record<string, unknown> = {}) {
  const model = await scenario(definition)
  const response = await postChat({ user_input: 'Hello', provider: 'openai', model, ...body })
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
  return { model, ...(await readStream(response)) }
}

describe('OpenAI: recorded answers reach the client byte for byte', () => {
  const answers: [string, string, Record<string, unknown>][] = [
    ['openai-chat-basic.sse', 'stop', {}],
    ['openai-chat-basic-2024.sse', 'stop', { usage: { prompt_tokens: 14, completion_tokens: 30, total_tokens: 44 } }],
    ['openai-chat-usage-long.reframed.sse', 'stop', {}],
    ['openai-chat-multibyte.sse', 'stop', {}],
    ['openai-chat-length.sse', 'length', {}],
  ]
  for (const [fixture, finishReason, extra] of answers) {
    it(fixture, async () => {
      const expected = await openaiFixtureText(fixture)
      const { text, events } = await streamFixture({ fixture })
      expect(expected.length).toBeGreaterThan(0)
      expect(text).toBe(expected)
      // No empty pieces: the role-only first chunk, the finish chunk and the usage chunk send no event.
      for (const event of events.slice(0, -1))
        expect(event).toEqual({ chunk: expect.stringMatching(/.+/s), done: false })
      expect(events.at(-1)).toMatchObject({
        chunk: '',
        done: true,
        provider: 'openai',
        finish_reason: finishReason,
        ...extra,
      })
    })
  }

  it('keeps multi-byte characters whole when the network splits them (7-byte reads)', async () => {
    const fixture = 'openai-chat-multibyte.sse'
    const { text } = await streamFixture({ fixture, chunking: { bytes: 7 } })
    expect(text).toBe(await openaiFixtureText(fixture))
    expect(text).toContain('°C')
  })

  it('sends the request the API expects: key, model, messages, stream options', async () => {
    const { model } = await streamFixture(
      { fixture: 'openai-chat-basic.sse' },
      {
        system: 'Be brief.',
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello!' },
        ],
        temperature: 0.5,
        max_tokens: 64,
      },
    )
    const [request] = await upstreamRequests(model)
    expect(request?.path).toBe('/v1/chat/completions')
    expect(request?.headers.authorization).toBe('Bearer sk-test-openai-key')
    expect(request?.body).toMatchObject({
      model,
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.5,
      max_completion_tokens: 64,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'user', content: 'Hello' },
      ],
    })
  })

  it('reports the usage and the resolved model on the last event', async () => {
    const { events } = await streamFixture({ fixture: 'openai-chat-usage.sse' })
    // All 100 tokens went to reasoning: no text at all, and the client still gets a clean end.
    expect(events).toEqual([
      {
        chunk: '',
        done: true,
        provider: 'openai',
        model: 'gpt-5-nano-2025-08-07',
        finish_reason: 'length',
        usage: { prompt_tokens: 12, completion_tokens: 100, total_tokens: 112, reasoning_tokens: 100 },
        attempts: 1,
      },
    ])
  })

  it('streams only the first choice when a server sends several', async () => {
    const fixture = 'openai-chat-n3-multichoice.sse'
    const { text } = await streamFixture({ fixture })
    expect(text).toBe(await openaiFixtureText(fixture))
    expect(text).toBe('{"city":"San Francisco","temperature":65,"units":"f"}')
  })

  it('streams a refusal as text and says so on the last event', async () => {
    const fixture = 'openai-chat-refusal.sse'
    const { text, events } = await streamFixture({ fixture })
    expect(text).toBe(await openaiFixtureText(fixture))
    expect(text).toMatch(/^I'm (very )?sorry/)
    expect(events.at(-1)).toMatchObject({ done: true, finish_reason: 'refusal' })
  })
})

describe('OpenAI: every failure ends with one clear error event', () => {
  const cases: [string, string][] = [
    [
      'openai-error-400-unsupported-parameter.json',
      'openai: request rejected (HTTP 400). Check the model name and the request parameters.',
    ],
    [
      'openai-error-400-empty-array.json',
      'openai: request rejected (HTTP 400). Check the model name and the request parameters.',
    ],
    ['openai-error-401-invalid-api-key.json', 'openai: invalid API key (HTTP 401). Check the OPENAI_API_KEY secret.'],
    [
      'openai-error-404-model-not-found.json',
      'openai: model or endpoint not found (HTTP 404). Use a valid model name (request "model" or OPENAI_MODEL) and check OPENAI_BASE_URL.',
    ],
    [
      'openai-error-429-rate-limit.json',
      'openai: rate limit or quota exceeded (HTTP 429). Wait a little and retry, or check the plan and billing of the account.',
    ],
    ['openai-error-500-server-error.json', 'openai: server error (HTTP 500). Retry later.'],
  ]
  for (const [fixture, message] of cases) {
    it(fixture, async () => {
      const { raw } = await streamFixture({ fixture })
      expect(raw).toBe(`data: ${JSON.stringify({ error: message, done: true })}\n\n`)
    })
  }

  it('an HTML error page from an edge proxy', async () => {
    const { events } = await streamFixture({
      body: '<html><body><h1>502 Bad Gateway</h1></body></html>',
      status: 502,
      headers: { 'content-type': 'text/html' },
    })
    expect(events).toEqual([{ error: 'openai: server error (HTTP 502). Retry later.', done: true }])
  })

  it('an error object in the middle of the stream', async () => {
    const { events } = await streamFixture({ fixture: 'openai-chat-midstream-error.constructed.sse' })
    expect(events.slice(0, -1)).toEqual([
      { chunk: 'Hi', done: false },
      { chunk: ' there', done: false },
    ])
    expect(events.at(-1)).toEqual({
      error:
        'openai: the provider reported an error during the answer (no status). The answer is incomplete. Retry later.',
      done: true,
    })
  })

  it('a connection dropped mid-stream', async () => {
    const fixture = 'openai-chat-basic.sse'
    const { events } = await streamFixture({ fixture, dropAfterWrites: 6 })
    const text = events
      .slice(0, -1)
      .map((event) => event.chunk)
      .join('')
    expect((await openaiFixtureText(fixture)).startsWith(text)).toBe(true)
    expect(text.length).toBeGreaterThan(0)
    expect(events.at(-1)).toEqual({
      error:
        'openai: the connection to the provider closed before the answer was complete. The answer is incomplete; retry.',
      done: true,
    })
  })

  it('a clean close without [DONE] or a finish reason', async () => {
    const { events } = await streamFixture({
      body: 'data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Half"},"finish_reason":null}]}\n\n',
    })
    expect(events).toEqual([
      { chunk: 'Half', done: false },
      {
        error:
          'openai: the connection to the provider closed before the answer was complete. The answer is incomplete; retry.',
        done: true,
      },
    ])
  })

  it('malformed data mid-stream', async () => {
    const { events } = await streamFixture({
      body: 'data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Ok"},"finish_reason":null}]}\n\ndata: {"choices": [oops\n\n',
    })
    expect(events).toEqual([
      { chunk: 'Ok', done: false },
      {
        error:
          'openai: the provider sent data that is not a valid stream. The answer is incomplete; retry, and check that OPENAI_BASE_URL points at the real API.',
        done: true,
      },
    ])
  })
})
