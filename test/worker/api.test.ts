import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createApp, type AppOptions } from '../../src/app'
import { createMemoryStreams } from '../../src/streams/memory-streams'
import {
  ANSWERED_TIMING,
  gateway,
  geminiFixtureText,
  openaiFixtureText,
  postChat,
  readStream,
  scenario,
  upstreamRequests,
} from './helpers'

/** Calls a fresh app with extra bindings, in this isolate (the real Response bytes still). */
function withBindings(
  bindings: Record<string, string | undefined>,
  path: string,
  init?: RequestInit,
  options?: AppOptions,
): Promise<Response> {
  const app = createApp(options)
  return Promise.resolve(app.fetch(new Request(`http://gateway.test${path}`, init), { ...env, ...bindings }))
}

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
})

describe('the SSE endpoints', () => {
  it('GET /api/stream/chat-get takes the conversation as a JSON-encoded messages parameter', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const messages = [
      { role: 'user', content: 'My name is Lan.' },
      { role: 'assistant', content: 'Hi Lan!' },
    ]
    const query = new URLSearchParams({
      user_input: 'What is my name?',
      provider: 'gemini',
      model,
      messages: JSON.stringify(messages),
    })
    const response = await gateway(`/api/stream/chat-get?${query}`)
    expect(response.status).toBe(200)
    await response.text()
    const [request] = await upstreamRequests(model)
    expect((request!.body as { contents: unknown }).contents).toEqual([
      { role: 'user', parts: [{ text: 'My name is Lan.' }] },
      { role: 'model', parts: [{ text: 'Hi Lan!' }] },
      { role: 'user', parts: [{ text: 'What is my name?' }] },
    ])

    const bad = await gateway(
      `/api/stream/chat-get?user_input=Hi&messages=${encodeURIComponent('[{"role":"system"}]')}`,
    )
    expect(bad.status).toBe(400)
    const body = (await bad.json()) as { issues: { field: string; message: string }[] }
    expect(body.issues).toContainEqual({ field: 'messages.0.role', message: 'must be "user" or "assistant"' })
  })

  it('GET /api/stream/chat-get streams the same events as POST, for EventSource', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const response = await gateway(`/api/stream/chat-get?user_input=Hello&provider=gemini&model=${model}`)
    expect(response.status).toBe(200)
    const { raw, wire, timing } = await readStream(response)
    const streamId = response.headers.get('x-stream-id')
    expect(timing).toEqual(ANSWERED_TIMING)
    expect(wire).toBe(
      'retry: 1000\n\n' +
        `id: ${streamId}:1\ndata: {"chunk":"The","done":false}\n\n` +
        `id: ${streamId}:2\ndata: {"chunk":" capital of Wyoming","done":false}\n\n` +
        `id: ${streamId}:3\ndata: {"chunk":" is **Cheyenne**.\\n","done":false}\n\n` +
        `id: ${streamId}:4\ndata: {"chunk":"","done":true,"provider":"gemini","model":"gemini-2.0-flash","finish_reason":"stop","usage":{"prompt_tokens":7,"completion_tokens":10,"total_tokens":17},"attempts":1,"timing":${JSON.stringify(timing)},"request_id":"${response.headers.get('x-request-id')}"}\n\n`,
    )
    expect(raw).toBe(
      'data: {"chunk":"The","done":false}\n\n' +
        'data: {"chunk":" capital of Wyoming","done":false}\n\n' +
        'data: {"chunk":" is **Cheyenne**.\\n","done":false}\n\n' +
        'data: {"chunk":"","done":true,"provider":"gemini","model":"gemini-2.0-flash","finish_reason":"stop","usage":{"prompt_tokens":7,"completion_tokens":10,"total_tokens":17},"attempts":1}\n\n',
    )
  })

  it('sends the SSE headers, and never compresses', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const response = await gateway('/api/stream/chat', {
      ...json({ user_input: 'Hi', provider: 'gemini', model }),
      headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip, br' },
    })
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform')
    expect(response.headers.get('x-accel-buffering')).toBe('no')
    expect(response.headers.get('content-encoding')).toBeNull()
    expect((await readStream(response)).text).toBe(await geminiFixtureText('gemini-basic.sse'))
  })

  it('uses DEFAULT_PROVIDER when the request names none', async () => {
    const model = await scenario({ fixture: 'openai-chat-basic.sse' })
    const response = await withBindings(
      { DEFAULT_PROVIDER: 'openai' },
      '/api/stream/chat',
      json({ user_input: 'Hi', model }),
    )
    const { text, events } = await readStream(response)
    expect(text).toBe(await openaiFixtureText('openai-chat-basic.sse'))
    expect(events.at(-1)).toMatchObject({ provider: 'openai' })
  })

  // Keys and base URLs are read where the generation runs: a Durable Object reads its own bindings, so
  // overriding them per request takes the direct path (RESUMABLE=off) or the in-process store.
  const paths: [string, Record<string, string>, AppOptions][] = [
    ['direct path', { RESUMABLE: 'off' }, {}],
    ['in-process resumable store', {}, { streams: createMemoryStreams() }],
  ]

  for (const [name, mode, options] of paths)
    it(`a missing key ends the stream with an error naming the binding (${name})`, async () => {
      for (const [provider, binding] of [
        ['openai', 'OPENAI_API_KEY'],
        ['gemini', 'GEMINI_API_KEY'],
      ] as const) {
        const response = await withBindings(
          { [binding]: undefined, ...mode },
          '/api/stream/chat',
          json({ user_input: 'Hi', provider }),
          options,
        )
        expect(response.status).toBe(200)
        expect(response.headers.get('x-stream-id') === null).toBe(name === 'direct path')
        expect((await readStream(response)).raw).toBe(
          `data: ${JSON.stringify({
            error: `${provider}: no API key configured. Set the ${binding} secret (wrangler secret put ${binding}, or ${binding}=… in .dev.vars or the environment).`,
            done: true,
          })}\n\n`,
        )
      }
    })

  for (const [name, mode, options] of paths)
    it(`an unreachable provider ends the stream with an error naming the base URL binding (${name})`, async () => {
      // Port 9 (discard) on loopback: nothing listens there, the connection is refused.
      for (const [provider, binding, url] of [
        ['openai', 'OPENAI_BASE_URL', 'http://127.0.0.1:9/v1'],
        ['gemini', 'GEMINI_BASE_URL', 'http://127.0.0.1:9'],
      ] as const) {
        const response = await withBindings(
          { [binding]: url, ...mode },
          '/api/stream/chat',
          json({ user_input: 'Hi', provider }),
          options,
        )
        expect(response.headers.get('x-stream-id') === null).toBe(name === 'direct path')
        expect((await readStream(response)).raw).toBe(
          `data: ${JSON.stringify({
            error: `${provider}: could not reach the provider or the connection failed. Check ${binding} and retry.`,
            done: true,
          })}\n\n`,
        )
      }
    })

  it('GET /api/stream/sse is a demo stream that needs no provider', async () => {
    const response = await gateway('/api/stream/sse?count=3&interval_ms=10')
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    const { events } = await readStream(response)
    expect(events).toHaveLength(4)
    events.slice(0, 3).forEach((event, index) => {
      expect(event.done).toBe(false)
      expect(event.chunk).toMatch(new RegExp(`^Event ${index + 1}/3 at \\d{4}-\\d\\d-\\d\\dT.*Z\\n$`))
    })
    expect(events[3]).toEqual({ chunk: '', done: true, events: 3 })
  })
})

describe('POST /api/flows/ask', () => {
  it('answers the whole text as JSON', async () => {
    const model = await scenario({ fixture: 'openai-chat-basic-2024.sse' })
    const response = await postChat({ user_input: 'Hello', provider: 'openai', model }, '/api/flows/ask')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      response: await openaiFixtureText('openai-chat-basic-2024.sse'),
      provider: 'openai',
      model: 'gpt-4o-2024-08-06',
      finish_reason: 'stop',
      usage: { prompt_tokens: 14, completion_tokens: 30, total_tokens: 44 },
      attempts: 1,
    })
  })

  it('maps a provider failure to a JSON error with a fitting status', async () => {
    const model = await scenario({ fixture: 'gemini-error-429-resource-exhausted.json' })
    const response = await postChat({ user_input: 'Hello', provider: 'gemini', model }, '/api/flows/ask')
    expect(response.status).toBe(429)
    expect(await response.json()).toEqual({
      error:
        'gemini: rate limit or quota exceeded (HTTP 429). Wait a little and retry, or check the plan and billing of the account.',
      // Issue 8: the id of the request's log line.
      request_id: response.headers.get('x-request-id'),
    })
    const blocked = await postChat(
      { user_input: 'Hello', provider: 'gemini', model: await scenario({ fixture: 'gemini-prompt-blocked.sse' }) },
      '/api/flows/ask',
    )
    expect(blocked.status).toBe(400)
    expect(await blocked.json()).toEqual({
      error: "gemini: the prompt was blocked by Gemini's safety filters (block reason SAFETY). Rephrase the question.",
      request_id: blocked.headers.get('x-request-id'),
    })
    const missingKey = await withBindings(
      { OPENAI_API_KEY: '' },
      '/api/flows/ask',
      json({ user_input: 'Hi', provider: 'openai' }),
    )
    expect(missingKey.status).toBe(503)
    expect(((await missingKey.json()) as { error: string }).error).toMatch(
      /^openai: no API key configured\. Set the OPENAI_API_KEY secret/,
    )
  })
})

describe('bad input gets a 400 that names the field', () => {
  const cases: [string, RequestInit, string, { field: string; message: string }[]][] = [
    [
      'invalid JSON',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user_input": "Hi",' },
      '/api/stream/chat',
      [{ field: 'body', message: 'is not valid JSON' }],
    ],
    [
      'missing user_input',
      json({ provider: 'gemini' }),
      '/api/stream/chat',
      [{ field: 'user_input', message: 'is required' }],
    ],
    [
      'empty user_input',
      json({ user_input: '   ' }),
      '/api/stream/chat',
      [{ field: 'user_input', message: 'must not be empty' }],
    ],
    [
      'user_input of the wrong type',
      json({ user_input: 42 }),
      '/api/stream/chat',
      [{ field: 'user_input', message: 'must be a string' }],
    ],
    [
      'unknown provider',
      json({ user_input: 'Hi', provider: 'claude' }),
      '/api/stream/chat',
      [{ field: 'provider', message: 'must be one of "gemini", "openai" (got "claude")' }],
    ],
    [
      'several bad fields at once',
      json({ user_input: 'Hi', temperature: 5, max_tokens: 1.5 }),
      '/api/flows/ask',
      [
        { field: 'temperature', message: 'must be between 0 and 2' },
        { field: 'max_tokens', message: 'must be a whole number' },
      ],
    ],
    [
      'a bad message role',
      json({ user_input: 'Hi', messages: [{ role: 'system', content: 'x' }] }),
      '/api/stream/chat',
      [{ field: 'messages.0.role', message: 'must be "user" or "assistant"' }],
    ],
    [
      'a model name with a path in it',
      json({ user_input: 'Hi', model: '../../admin' }),
      '/api/stream/chat',
      [{ field: 'model', message: 'must be a model name (letters, digits and . _ - : @ /, no "..")' }],
    ],
    [
      'a body that is not an object',
      json(['Hi']),
      '/api/stream/chat',
      [{ field: 'body', message: 'must be a JSON object' }],
    ],
    [
      'no JSON content type',
      { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"user_input":"Hi"}' },
      '/api/stream/chat',
      [{ field: 'content-type', message: 'must be application/json (got "text/plain")' }],
    ],
    [
      'input over MAX_INPUT_CHARS',
      json({ user_input: 'é'.repeat(32_001) }),
      '/api/stream/chat',
      [{ field: 'user_input', message: 'must be at most 32000 characters (got 32001)' }],
    ],
    [
      'a conversation over MAX_INPUT_CHARS',
      json({ user_input: 'Hi', messages: [{ role: 'user', content: 'x'.repeat(31_999) }] }),
      '/api/flows/ask',
      [
        {
          field: 'messages',
          message: 'user_input, system and messages together must be at most 32000 characters (got 32001)',
        },
      ],
    ],
  ]
  for (const [name, init, path, issues] of cases) {
    it(name, async () => {
      const response = await gateway(path, init)
      expect(response.status).toBe(400)
      expect(response.headers.get('content-type')).toMatch(/^application\/json/)
      expect(await response.json()).toEqual({
        error: issues.map((issue) => `${issue.field}: ${issue.message}`).join('; '),
        issues,
      })
    })
  }

  it('GET chat-get: missing user_input, bad numbers', async () => {
    const missing = await gateway('/api/stream/chat-get?provider=openai')
    expect(missing.status).toBe(400)
    expect(await missing.json()).toEqual({
      error: 'user_input: is required',
      issues: [{ field: 'user_input', message: 'is required' }],
    })
    const badNumber = await gateway('/api/stream/chat-get?user_input=Hi&temperature=hot')
    expect(badNumber.status).toBe(400)
    expect(await badNumber.json()).toEqual({
      error: 'temperature: must be a number',
      issues: [{ field: 'temperature', message: 'must be a number' }],
    })
  })

  it('MAX_INPUT_CHARS is configurable', async () => {
    const response = await withBindings({ MAX_INPUT_CHARS: '10' }, '/api/stream/chat-get?user_input=' + 'a'.repeat(11))
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({
      error: 'user_input: must be at most 10 characters (got 11)',
      issues: [{ field: 'user_input', message: 'must be at most 10 characters (got 11)' }],
    })
  })
})

describe('CORS', () => {
  it('allows any origin by default, with a working preflight for a JSON POST', async () => {
    const preflight = await gateway('/api/stream/chat', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST')
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type')

    const deletePreflight = await gateway('/api/streams/abc', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'DELETE' },
    })
    expect(deletePreflight.status).toBe(204)
    expect(deletePreflight.headers.get('access-control-allow-methods')).toContain('DELETE')

    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const stream = await gateway(`/api/stream/chat-get?user_input=Hi&provider=gemini&model=${model}`, {
      headers: { origin: 'https://app.example' },
    })
    expect(stream.headers.get('access-control-allow-origin')).toBe('*')
    // A fetch reader on another origin may read the headers it needs to resume, stop or quote a stream.
    expect(
      stream.headers
        .get('access-control-expose-headers')
        ?.toLowerCase()
        .split(/\s*,\s*/),
    ).toEqual(expect.arrayContaining(['x-stream-id', 'x-request-id']))
    await stream.text()
  })

  it('CORS_ORIGINS narrows it to a list', async () => {
    const bindings = { CORS_ORIGINS: 'https://a.example, https://b.example/' }
    const allowed = await withBindings(bindings, '/health', { headers: { origin: 'https://b.example' } })
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://b.example')
    expect(allowed.headers.get('vary')).toContain('Origin')
    const denied = await withBindings(bindings, '/health', { headers: { origin: 'https://evil.example' } })
    expect(denied.headers.get('access-control-allow-origin')).toBeNull()
  })
})

describe('health, docs and the rest', () => {
  it('GET /health says which providers are configured, never the keys', async () => {
    const response = await gateway('/health')
    const body = await response.text()
    // Issue 8: whether access is open, and per provider only configured + model (no base URLs).
    expect(JSON.parse(body)).toEqual({
      status: 'ok',
      access: 'open',
      // Workers: resumable streams in a Durable Object each (RESUMABLE_STREAMS in wrangler.jsonc).
      store: 'durable_object',
      ok: true,
      default_provider: 'gemini',
      providers: {
        openai: { configured: true, model: 'gpt-4.1-mini' },
        gemini: { configured: true, model: 'gemini-2.5-flash' },
      },
      budgets: 'off',
    })
    expect(body).not.toContain('127.0.0.1')
    expect(body).not.toContain('sk-test-openai-key')
    expect(body).not.toContain('test-gemini-key')
    const unconfigured = await withBindings({ OPENAI_API_KEY: undefined }, '/health')
    expect(
      ((await unconfigured.json()) as { providers: { openai: { configured: boolean } } }).providers.openai.configured,
    ).toBe(false)
  })

  it('GET /openapi.json documents every endpoint from the validating schemas', async () => {
    const response = await gateway('/openapi.json')
    const doc = (await response.json()) as {
      openapi: string
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>>
      components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> }
    }
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/api/flows/ask',
        '/api/stream/chat',
        '/api/stream/chat-get',
        '/api/stream/sse',
        '/api/streams/{stream_id}',
        '/api/usage',
        '/health',
        '/v1/chat/completions',
        '/v1/models',
        '/v1/responses',
        '/v1/responses/{response_id}',
        '/v1/responses/{response_id}/cancel',
      ].sort(),
    )
    expect(Object.keys(doc.paths['/api/streams/{stream_id}'] ?? {}).sort()).toEqual(['delete', 'get'])
    expect(doc.paths['/api/stream/chat']?.post?.requestBody?.content['application/json']?.schema).toEqual({
      $ref: '#/components/schemas/ChatRequest',
    })
    const chatRequest = doc.components.schemas.ChatRequest
    expect(chatRequest?.required).toEqual(['user_input'])
    expect(Object.keys(chatRequest?.properties ?? {})).toEqual([
      'user_input',
      'provider',
      'model',
      'system',
      'messages',
      'temperature',
      'max_tokens',
      'fallback',
    ])
  })

  it('GET / leads to the test client', async () => {
    const response = await gateway('/', { redirect: 'manual' })
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/test_stream.html')
  })

  it('an unknown path is a JSON 404', async () => {
    const response = await gateway('/api/nope')
    expect(response.status).toBe(404)
    expect(await response.json()).toEqual({ error: 'not found: GET /api/nope. The API is described at /docs.' })
  })
})
