import { sign } from 'hono/jwt'
import { describe, expect, it } from 'vitest'
import { readStream, scenario } from './helpers'
import { bindings, call, jsonPost } from './app-call'

const TOKENS = ['tok-alpha-7Qm2xV9pL4sR8wKd', 'tok-beta-3Hn6yB1cT5gZ0jFe']
const SECRET = 'signing-secret-Wq8eR4tY2uI6oP0a'
const closed = bindings({ ACCESS_TOKENS: TOKENS.join(' , '), TOKEN_SIGNING_SECRET: SECRET })
const now = () => Math.floor(Date.now() / 1000)

const API_CALLS: [string, RequestInit][] = [
  ['/api/stream/chat', jsonPost({ user_input: 'Hi' })],
  ['/api/stream/chat-get?user_input=Hi', {}],
  ['/api/stream/sse?count=1&interval_ms=0', {}],
  ['/api/flows/ask', jsonPost({ user_input: 'Hi' })],
  ['/api/nope', {}],
]

async function expect401(response: Response): Promise<string> {
  expect(response.status).toBe(401)
  expect(response.headers.get('content-type')).toMatch(/^application\/json/)
  expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /)
  const { error } = (await response.json()) as { error: string }
  expect(error).toContain('Authorization: Bearer <token>')
  expect(error).toContain('?access_token=<token>')
  return error
}

describe('access control (ACCESS_TOKENS, TOKEN_SIGNING_SECRET)', () => {
  it.each(API_CALLS)('%s without a token: 401 JSON that says how to authenticate', async (path, init) => {
    const error = await expect401(await call(closed, path, init))
    expect(error).toMatch(/^access: this gateway needs an access token\./)
  })

  it.each(API_CALLS)('%s with a wrong token: 401', async (path, init) => {
    const headers = { ...(init.headers as Record<string, string>), authorization: 'Bearer tok-alpha-7Qm2xV9pL4sR8wKe' }
    const error = await expect401(await call(closed, path, { ...init, headers }))
    expect(error).toMatch(/^access: the access token is not valid/)
  })

  it('a static token works as a Bearer header and as ?access_token= (EventSource)', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const byHeader = await call(
      closed,
      '/api/stream/chat',
      jsonPost({ user_input: 'Hi', provider: 'gemini', model }, { authorization: `Bearer ${TOKENS[1]}` }),
    )
    expect(byHeader.status).toBe(200)
    expect((await readStream(byHeader)).events.at(-1)).toMatchObject({ done: true, provider: 'gemini' })
    const byQuery = await call(
      closed,
      `/api/stream/chat-get?user_input=Hi&provider=gemini&model=${model}&access_token=${TOKENS[0]}`,
    )
    expect(byQuery.status).toBe(200)
    expect((await readStream(byQuery)).events.at(-1)).toMatchObject({ done: true })
  })

  it('the scheme is case-insensitive, but a token that only starts like a real one is refused', async () => {
    const ok = await call(closed, '/api/stream/sse?count=1&interval_ms=0', {
      headers: { authorization: `bearer ${TOKENS[0]}` },
    })
    expect(ok.status).toBe(200)
    await ok.text()
    for (const token of [TOKENS[0]!.slice(0, -1), `${TOKENS[0]}x`, TOKENS.join(','), '']) {
      await expect401(await call(closed, '/api/stream/sse', { headers: { authorization: `Bearer ${token}` } }))
    }
  })

  it('a JWT signed with TOKEN_SIGNING_SECRET (HS256, sub + exp) is accepted in both places', async () => {
    const token = await sign({ sub: 'alice', exp: now() + 60 }, SECRET, 'HS256')
    const byHeader = await call(closed, '/api/stream/sse?count=1&interval_ms=0', {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(byHeader.status).toBe(200)
    expect((await readStream(byHeader)).events.at(-1)).toMatchObject({ done: true, events: 1 })
    const byQuery = await call(closed, `/api/stream/sse?count=1&interval_ms=0&access_token=${token}`)
    expect(byQuery.status).toBe(200)
    await byQuery.text()
  })

  it('refuses a JWT that expired, has no exp or sub, is signed with another secret or is unsigned', async () => {
    const unsigned = `${btoa(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${btoa(JSON.stringify({ sub: 'a', exp: now() + 60 }))}.`
    const tokens = [
      await sign({ sub: 'alice', exp: now() - 10 }, SECRET, 'HS256'),
      await sign({ sub: 'alice' }, SECRET, 'HS256'),
      await sign({ exp: now() + 60 }, SECRET, 'HS256'),
      await sign({ sub: '', exp: now() + 60 }, SECRET, 'HS256'),
      await sign({ sub: 'alice', exp: now() + 60 }, 'another-secret-entirely', 'HS256'),
      await sign({ sub: 'alice', exp: now() + 60 }, SECRET, 'HS512'),
      unsigned.replace(/=/g, ''),
    ]
    for (const token of tokens) {
      await expect401(await call(closed, '/api/stream/sse', { headers: { authorization: `Bearer ${token}` } }))
    }
  })

  it('only TOKEN_SIGNING_SECRET set: JWTs work, and nothing else', async () => {
    const jwtOnly = bindings({ TOKEN_SIGNING_SECRET: SECRET })
    const token = await sign({ sub: 'bob', exp: now() + 60 }, SECRET, 'HS256')
    const ok = await call(jwtOnly, '/api/stream/sse?count=1&interval_ms=0', {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(ok.status).toBe(200)
    await ok.text()
    await expect401(await call(jwtOnly, '/api/stream/sse', { headers: { authorization: `Bearer ${TOKENS[0]}` } }))
  })

  it('/health, /openapi.json and /docs stay open, and /health says access is "token"', async () => {
    const health = await call(closed, '/health')
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ status: 'ok', access: 'token' })
    expect((await call(closed, '/openapi.json')).status).toBe(200)
    expect((await call(closed, '/docs')).status).toBe(200)
  })

  it('a CORS preflight needs no token (browsers send none)', async () => {
    const preflight = await call(closed, '/api/stream/chat', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization')
  })

  it('a 401 carries the CORS headers, so a browser app can read why', async () => {
    const response = await call(closed, '/api/stream/chat-get?user_input=Hi', {
      headers: { origin: 'https://app.example' },
    })
    expect(response.status).toBe(401)
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('unset: open, as before, and /health says so', async () => {
    const open = bindings({})
    expect(await (await call(open, '/health')).json()).toMatchObject({ access: 'open' })
    const response = await call(open, '/api/stream/sse?count=1&interval_ms=0')
    expect(response.status).toBe(200)
    await response.text()
  })
})
