/**
 * Issue 8, black box: access, limits, model policy, request ids, the log line and the security
 * headers of the real gateway process (wrangler dev, Bun, Node) in front of the emulator.
 * Registered by gateway.e2e.test.ts for each runtime.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectedAnswer, startEmulator, type Emulator } from '../../emulator/server.ts'
import { ROOT, startGateway, type RunningGateway, type Runtime } from '../support/gateway.ts'
import { inOneRateLimitWindow, RATE_LIMIT_WAIT_MS } from '../support/rate-limit-window.ts'
import { readGatewayStream } from '../support/sse.ts'

const run = promisify(execFile)
const TOKENS = ['e2e-token-a-Pq4Wm8Zx2', 'e2e-token-b-Lc7Rv3Nb6']
const SECRET = 'e2e-signing-secret-Hy5Tg1Jd9'
/** The same limit as the RATE_LIMITER binding in wrangler.toml (120 per 60 s), for Bun and Node. */
const LIMIT = 120
const API = ['/api/stream/chat', '/api/stream/chat-get?user_input=Hi', '/api/stream/sse?count=1', '/api/flows/ask']

export function securitySuite(runtime: Runtime): void {
  describe(`security on ${runtime} (ACCESS_TOKENS, TOKEN_SIGNING_SECRET, limits, model policy)`, () => {
    let emu: Emulator
    let gw: RunningGateway
    let base: string
    const bearer = (index: number) => ({ authorization: `Bearer ${TOKENS[index]}` })
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      })
    const logLines = (): Record<string, unknown>[] =>
      [...gw.output().matchAll(/\{"event":"request".*\}/g)].map(
        (match) => JSON.parse(match[0]) as Record<string, unknown>,
      )

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
          ALLOWED_MODELS: 'openai:gpt-4.1-nano',
          MAX_OUTPUT_TOKENS: '300',
        },
      })
      base = gw.url
    }, 120_000)
    afterAll(async () => {
      await gw?.stop()
      await emu?.close()
    })

    it('every API route without a valid token: 401 JSON saying how to authenticate; nothing goes upstream', async () => {
      emu.clearRequests()
      for (const path of API) {
        for (const headers of [{}, { authorization: 'Bearer wrong-token' }] as Record<string, string>[]) {
          const res = path.includes('?')
            ? await fetch(`${base}${path}`, { headers })
            : await post(path, { user_input: 'Hi' }, headers)
          expect(res.status, path).toBe(401)
          expect(res.headers.get('x-request-id')).toBeTruthy()
          const { error } = (await res.json()) as { error: string }
          expect(error).toContain('Authorization: Bearer <token>')
        }
      }
      expect(emu.requests()).toHaveLength(0)
    })

    it('/health stays open, says access is "token", and shows no base URL', async () => {
      const res = await fetch(`${base}/health`)
      const text = await res.text()
      expect(JSON.parse(text)).toMatchObject({
        status: 'ok',
        access: 'token',
        providers: { openai: { configured: true, model: 'gpt-4.1-mini' } },
      })
      expect(text).not.toContain(emu.url)
    })

    it('a static token (header or ?access_token=) and a JWT from `npm run token` are served', async () => {
      const s1 = await readGatewayStream(
        await post('/api/stream/chat', { user_input: 'Hello', provider: 'openai' }, bearer(0)),
      )
      expect(s1.text).toBe(expectedAnswer('Hello', { provider: 'openai' }))
      const s2 = await readGatewayStream(
        await fetch(`${base}/api/stream/chat-get?user_input=Hello&provider=gemini&access_token=${TOKENS[1]}`),
      )
      expect(s2.text).toBe(expectedAnswer('Hello', { provider: 'gemini' }))
      const { stdout } = await run(process.execPath, ['scripts/token.ts', '--sub', 'e2e-alice', '--ttl', '120'], {
        cwd: ROOT,
        env: { ...process.env, TOKEN_SIGNING_SECRET: SECRET },
      })
      const jwt = stdout.trim()
      const s3 = await readGatewayStream(
        await fetch(`${base}/api/stream/chat-get?user_input=Hello&provider=gemini`, {
          headers: { authorization: `Bearer ${jwt}`, 'x-request-id': 'e2e-jwt-1' },
        }),
      )
      expect(s3.text).toBe(expectedAnswer('Hello', { provider: 'gemini' }))
      expect(s3.last).toMatchObject({ done: true })
      expect(s3.requestId).toBe('e2e-jwt-1')
    })

    it('the request id: echoed when sane, in the closing event, and on the one log line of the request', async () => {
      const res = await post(
        '/api/stream/chat',
        { user_input: 'Private words', provider: 'gemini' },
        { ...bearer(0), 'x-request-id': `e2e-${runtime}-log` },
      )
      expect(res.headers.get('x-request-id')).toBe(`e2e-${runtime}-log`)
      const s = await readGatewayStream(res)
      expect(s.last).toMatchObject({ chunk: '', done: true })
      expect(s.requestId).toBe(`e2e-${runtime}-log`)
      const odd = await fetch(`${base}/health`, { headers: { 'x-request-id': 'bad id <>' } })
      expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
      let lines: Record<string, unknown>[] = []
      for (let i = 0; i < 50 && lines.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100))
        lines = logLines().filter((line) => line.request_id === `e2e-${runtime}-log`)
      }
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatchObject({
        route: '/api/stream/chat',
        caller: 'token:0',
        provider: 'gemini',
        outcome: 'done',
        status: 200,
        pieces: s.events.length - 1,
      })
      const output = gw.output()
      expect(output).not.toContain('Private words')
      for (const line of logLines())
        for (const secret of [...TOKENS, SECRET, 'emu-key']) expect(JSON.stringify(line)).not.toContain(secret)
    })

    it('ALLOWED_MODELS and MAX_OUTPUT_TOKENS: 400s, and the cap goes upstream', async () => {
      emu.clearRequests()
      const model = await post('/api/stream/chat', { user_input: 'Hi', provider: 'openai', model: 'o3-pro' }, bearer(0))
      expect(model.status).toBe(400)
      expect(((await model.json()) as { error: string }).error).toContain('"gpt-4.1-nano"')
      const tokens = await post('/api/flows/ask', { user_input: 'Hi', max_tokens: 100_000 }, bearer(0))
      expect(tokens.status).toBe(400)
      expect(((await tokens.json()) as { error: string }).error).toMatch(/^max_tokens: must be at most 300/)
      expect(emu.requests()).toHaveLength(0)
      await readGatewayStream(
        await post('/api/stream/chat', { user_input: 'Hi', provider: 'openai', model: 'gpt-4.1-nano' }, bearer(0)),
      )
      const body = emu.requests()[0]?.body as Record<string, unknown>
      expect(body.max_completion_tokens ?? body.max_tokens).toBe(300)
    })

    it('the docs page and the test client carry the security headers', async () => {
      for (const path of ['/docs', '/test_stream.html']) {
        const res = await fetch(`${base}${path}`)
        expect(res.status).toBe(200)
        // The test client needs its own origin ('self'); the docs page nothing but its own files ('none' + script-src 'self').
        expect(res.headers.get('content-security-policy'), path).toMatch(
          /^default-src '(self|none)'; .*frame-ancestors 'none'/,
        )
        expect(res.headers.get('x-content-type-options')).toBe('nosniff')
        expect(res.headers.get('referrer-policy')).toBe('no-referrer')
        await res.text()
      }
    })

    it('odd paths are a 404 JSON, never a 5xx or a file path', async () => {
      for (const path of [
        '/api/stream/chat%00',
        '/test_stream.html%00',
        '/%2e%2e/package.json',
        '/_headers',
        '/test_stream.html%ZZ',
        '/test_stream_missing.js',
      ]) {
        const res = await fetch(`${base}${path}`, { headers: bearer(0) })
        expect(res.status, path).toBe(404)
        const text = await res.text()
        expect(text, path).not.toContain(ROOT)
        expect(res.headers.get('x-request-id')).toBeTruthy()
      }
    })

    it('a flood from one caller gets 429 with Retry-After; another caller is still served', {
      timeout: 30_000 + RATE_LIMIT_WAIT_MS,
    }, async () => {
      const { limited, sent } = await inOneRateLimitWindow(runtime, async () => {
        let limited: Response | undefined
        let sent = 0
        while (!limited && sent < LIMIT + 40) {
          const res = await fetch(`${base}/api/nope`, { headers: bearer(1) })
          sent++
          if (res.status === 429) limited = res
          else {
            expect(res.status).toBe(404)
            await res.arrayBuffer()
          }
        }
        return { limited, sent }
      })
      expect(limited, `no 429 after ${sent} requests`).toBeDefined()
      expect(sent).toBeGreaterThan(LIMIT / 2)
      expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(((await limited!.json()) as { error: string }).error).toMatch(/^rate limit: too many requests/)
      const other = await fetch(`${base}/api/stream/sse?count=1&interval_ms=0`, { headers: bearer(0) })
      expect(other.status).toBe(200)
      await other.text()
    })
  })
}
