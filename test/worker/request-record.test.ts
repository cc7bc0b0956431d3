import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app'
import { DOCS_CSP } from '../../src/routes/docs-page'
import { CLIENT_CSP } from '../../src/routes/security-headers'
import { gateway, parseEvents, readStream, scenario } from './helpers'
import { bindings, call, captureLogs, jsonPost } from './app-call'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
let logs: ReturnType<typeof captureLogs> | undefined
afterEach(() => logs?.stop())

describe('X-Request-Id', () => {
  it("keeps the caller's id when it is sane, else makes a new one", async () => {
    const kept = await gateway('/health', { headers: { 'x-request-id': 'checkout-42:retry.1' } })
    expect(kept.headers.get('x-request-id')).toBe('checkout-42:retry.1')
    for (const insane of ['<script>', 'a b', 'x'.repeat(129), 'sk-test-openai-key', '']) {
      const response = await gateway('/health', { headers: { 'x-request-id': insane } })
      expect(response.headers.get('x-request-id')).toMatch(UUID)
    }
    expect((await gateway('/health')).headers.get('x-request-id')).toMatch(UUID)
  })

  it('is on every response: 200, 302, 400, 401, 404, the SSE stream, and in its closing event', async () => {
    const closed = bindings({ ACCESS_TOKENS: 'record-token-8Gh3Jk5Lm' })
    const responses = [
      await gateway('/'),
      await gateway('/api/stream/chat', jsonPost({})),
      await call(closed, '/api/stream/chat-get?user_input=Hi'),
      await gateway('/api/nope'),
      await gateway('/openapi.json'),
    ]
    for (const response of responses) expect(response.headers.get('x-request-id')).toMatch(UUID)
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const stream = await gateway(`/api/stream/chat-get?user_input=Hi&provider=gemini&model=${model}`, {
      headers: { 'x-request-id': 'req-stream-1' },
    })
    const raw = await stream.text()
    expect(raw.endsWith(',"request_id":"req-stream-1"}\n\n')).toBe(true)
  })

  it('is in every error event and in a 5xx body (which never shows a stack or a file path)', async () => {
    const error = await gateway('/api/stream/chat', {
      ...jsonPost({ user_input: 'Hi', provider: 'openai', model: 'no-such-scenario' }),
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-error-1' },
    })
    const raw = await error.text()
    const streamId = error.headers.get('x-stream-id')
    expect(raw).toMatch(
      new RegExp(
        `^retry: 1000\\n\\nid: ${streamId}:1\\ndata: \\{"error":"openai: .+","done":true,"request_id":"req-error-1"\\}\\n\\n$`,
      ),
    )
    expect(parseEvents(raw)).toEqual([
      { error: expect.stringMatching(/^openai: /), done: true, request_id: 'req-error-1' },
    ])

    logs = captureLogs()
    const app = createApp()
    app.get('/boom', () => {
      throw new Error('exploded reading /home/gateway/app/src/secret.ts with sk-test-openai-key')
    })
    const boom = await app.fetch(
      new Request('http://gateway.test/boom', { headers: { 'x-request-id': 'req-500' } }),
      bindings({}),
    )
    expect(boom.status).toBe(500)
    const body = await boom.text()
    expect(JSON.parse(body)).toEqual({
      error: 'gateway: internal error. Retry; if it persists, check the gateway logs for this request id.',
      request_id: 'req-500',
    })
    const [line] = logs.records()
    expect(line).toMatchObject({ request_id: 'req-500', status: 500, outcome: 'internal', route: '/boom' })
    const text = logs.lines.join('\n')
    expect(text).not.toContain('/home/gateway')
    expect(text).not.toContain('sk-test-openai-key')
    expect(text).not.toMatch(/\n\s+at /)
  })
})

describe('one JSON log line per request', () => {
  it('a finished stream: id, route, caller, provider, model, outcome, status, timing, pieces, bytes, usage', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    logs = captureLogs()
    const closed = bindings({ ACCESS_TOKENS: 'log-token-a-5Rt7Yu,log-token-b-2Qw4Er' })
    const response = await call(
      closed,
      `/api/stream/chat-get?user_input=Secret+question&provider=gemini&model=${model}`,
      {
        headers: { authorization: 'Bearer log-token-b-2Qw4Er', 'x-request-id': 'req-log-1' },
      },
    )
    const { wire } = await readStream(response)
    const lines = logs.records()
    expect(lines).toHaveLength(1)
    expect(lines[0]).toEqual({
      event: 'request',
      request_id: 'req-log-1',
      method: 'GET',
      route: '/api/stream/chat-get',
      caller: 'token:1',
      provider: 'gemini',
      model: 'gemini-2.0-flash',
      finish_reason: 'stop',
      usage: { prompt_tokens: 7, completion_tokens: 10, total_tokens: 17 },
      status: 200,
      outcome: 'done',
      ttft_ms: expect.any(Number),
      gw_ms: expect.any(Number),
      upstream_ms: expect.any(Number),
      duration_ms: expect.any(Number),
      pieces: 3,
      // The text events as sent (with their id lines), without the opening retry: and the closing event.
      bytes: new TextEncoder().encode(wire.slice('retry: 1000\n\n'.length, wire.lastIndexOf('id: '))).byteLength,
      attempts: [{ provider: 'gemini', model, outcome: 'done', ms: expect.any(Number) }],
      stream_id: response.headers.get('x-stream-id'),
    })
    expect(logs.lines.join('\n')).not.toContain('Secret question')
    expect(logs.lines.join('\n')).not.toContain('log-token-b-2Qw4Er')
  })

  it('the user text only with LOG_PROMPTS=true', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    logs = captureLogs()
    await (
      await call(
        bindings({ LOG_PROMPTS: 'true' }),
        '/api/flows/ask',
        jsonPost({ user_input: 'Visible question', provider: 'gemini', model }),
      )
    ).text()
    expect(logs.records()).toEqual([
      expect.objectContaining({ route: '/api/flows/ask', outcome: 'done', prompt: 'Visible question', status: 200 }),
    ])
  })

  it('a failed stream: the error kind as outcome, the upstream status and cause, once', async () => {
    const model = await scenario({ fixture: 'openai-error-429-rate-limit.json' })
    logs = captureLogs()
    const body = await (
      await gateway('/api/stream/chat', jsonPost({ user_input: 'Hi', provider: 'openai', model }))
    ).text()
    const lines = logs.records()
    expect(lines).toHaveLength(1)
    // The provider's own words (they name the operator's organisation) go to the log line only.
    expect(lines[0]).toMatchObject({
      outcome: 'upstream_status',
      status: 200,
      error: {
        kind: 'upstream_status',
        status: 429,
        cause:
          'HTTP 429: Rate limit reached for gpt-4o-mini in organization org-2UNBOwAjq6LkaA8Fl347aXVc on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms. Visit https://platform.openai.com/account/rate-limits to learn more',
      },
    })
    expect(body).not.toContain('org-')
    expect(logs.lines).toHaveLength(1)
  })

  it('a client that leaves mid-answer: outcome client_left, with what it got so far', async () => {
    const model = await scenario({ fixture: 'gemini-basic-long-2024.sse', delayMs: 50 })
    logs = captureLogs()
    // RESUME_GRACE_MS=0: nobody can resume, so the answer ends when the client leaves.
    const response = await call(
      bindings({ RESUME_GRACE_MS: '0' }),
      `/api/stream/chat-get?user_input=Hi&provider=gemini&model=${model}`,
    )
    const reader = response.body!.getReader()
    await reader.read()
    await reader.cancel()
    const line = await (async () => {
      for (let i = 0; i < 100 && logs!.records().length === 0; i++) await new Promise((r) => setTimeout(r, 20))
      return logs!.records()[0]
    })()
    expect(line).toMatchObject({ outcome: 'client_left', provider: 'gemini', status: 200 })
    expect(line?.pieces).toBeGreaterThanOrEqual(0)
  })

  it('rejected requests (401, 429, 400, 404) and plain routes leave a line too', async () => {
    logs = captureLogs()
    const closed = bindings({ ACCESS_TOKENS: 'reject-token-6Yh8Uj', RATE_LIMIT: '1/60s', RATE_LIMITER: undefined })
    await call(closed, '/api/stream/chat-get?user_input=Hi')
    await call(closed, '/api/nope', { headers: { authorization: 'Bearer reject-token-6Yh8Uj' } })
    await call(closed, '/api/nope', { headers: { authorization: 'Bearer reject-token-6Yh8Uj' } })
    await call(closed, '/health')
    expect(logs.records().map((line) => [line.status, line.outcome, line.caller ?? null])).toEqual([
      [401, 'rejected', null],
      [404, 'rejected', 'token:0'],
      [429, 'rejected', 'token:0'],
      [200, 'done', null],
    ])
  })
})

describe('headers, documents and odd paths', () => {
  it('the docs page and the test client carry the security headers (static/_headers on Workers)', async () => {
    const docs = await gateway('/docs')
    expect(docs.headers.get('content-security-policy')).toBe(DOCS_CSP)
    // On Workers static/ is served by the assets layer, before the app: static/_headers applies there.
    const assets = (env as unknown as { ASSETS: Fetcher }).ASSETS
    const client = await assets.fetch('http://gateway.test/test_stream.html')
    expect(client.status).toBe(200)
    expect((await assets.fetch('http://gateway.test/_headers')).status).toBe(404)
    expect(client.headers.get('content-security-policy')).toBe(CLIENT_CSP)
    for (const response of [docs, client]) {
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
      expect(response.headers.get('referrer-policy')).toBe('no-referrer')
      expect(response.headers.get('x-frame-options')).toBe('DENY')
      await response.text()
    }
  })

  it('/openapi.json says how to send a token and documents 401, 405 and 429 on the API routes only', async () => {
    type Doc = {
      components: { securitySchemes: Record<string, unknown> }
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>
    }
    const doc = (await (await gateway('/openapi.json')).json()) as Doc
    expect(doc.components.securitySchemes).toMatchObject({
      bearerToken: { type: 'http', scheme: 'bearer' },
      accessTokenQuery: { type: 'apiKey', in: 'query', name: 'access_token' },
    })
    for (const [path, method] of [
      ['/api/stream/chat', 'post'],
      ['/api/stream/chat-get', 'get'],
      ['/api/stream/sse', 'get'],
      ['/api/flows/ask', 'post'],
    ]) {
      const operation = doc.paths[path!]![method!]!
      expect(operation.security).toEqual([{ bearerToken: [] }, { accessTokenQuery: [] }])
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '405', '429']))
    }
    expect(doc.paths['/health']!.get!.security).toBeUndefined()
    expect(doc.paths['/health']!.get!.responses['401']).toBeUndefined()
  })

  it('/openapi.json never takes its server URL from the Host header', async () => {
    const doc = (await (await gateway('/openapi.json', { headers: { host: 'evil.example' } })).json()) as {
      servers: { url: string }[]
    }
    expect(doc.servers).toEqual([{ url: '/' }])
    const pinned = await call(bindings({ PUBLIC_URL: 'https://gateway.example.com/' }), '/openapi.json', {
      headers: { host: 'evil.example' },
    })
    expect(((await pinned.json()) as { servers: unknown }).servers).toEqual([{ url: 'https://gateway.example.com' }])
  })

  it.each([
    '/api/stream/chat%00',
    '/test_stream.html%00',
    '/%2e%2e/wrangler.toml',
    '/api/stream/chat%ZZ',
    '/_headers',
    '/api/stream/chat/..%2f..%2fsrc',
  ])('GET %s: a JSON 404, no file path', async (path) => {
    const response = await gateway(path)
    expect(response.status).toBe(404)
    const body = await response.text()
    expect(JSON.parse(body)).toHaveProperty('error')
    expect(body).not.toMatch(/\/(work|home|usr|tmp)\//)
  })

  it('an unsupported method on an API route is a JSON 404, not a 5xx', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const response = await gateway('/api/stream/chat', { method })
      expect(response.status).toBe(404)
      expect(await response.json()).toHaveProperty('error')
    }
  })
})
