/**
 * The token budget as a client sees it: `GET /api/usage`, `/health`, a signed token's `budget`
 * claim, and the gate the chat routes call (reserve, the `X-Budget-*` headers, the 429 in the
 * gateway's and in OpenAI's shape). The gate is reached through two routes this file adds to a
 * real app, the way the chat routes call it.
 */
import { env } from 'cloudflare:workers'
import { sign } from 'hono/jwt'
import { describe, expect, it } from 'vitest'
import { estimateChatInput } from '../../src/budgets/estimate'
import { reserveBudget } from '../../src/budgets/gate'
import { budgetHeaders, budgetMisconfigured, budgetRefusal } from '../../src/budgets/replies'
import { openAIBudgetMisconfigured, openAIBudgetRefusal } from '../../src/apis/chat/budget-errors'
import { captureLogs } from './app-call'
import { inProcessApp } from './helpers'

const SECRET = 'budget-signing-secret-Zr7Kp2Lq9'
const DAY = 86_400_000
let ips = 0
/** A caller of its own per test: a client IP nobody else uses. */
const newIp = () => `198.51.100.${ips++}`

/** A real app plus the two places a chat route reserves: `/api/…` and `/v1/…`. */
function budgetApp() {
  const app = inProcessApp()
  for (const [path, refuse, misconfigured] of [
    ['/api/budget-gate', budgetRefusal, budgetMisconfigured],
    ['/v1/budget-gate', openAIBudgetRefusal, openAIBudgetMisconfigured],
  ] as const) {
    app.post(path, async (c) => {
      const { prompt, max_tokens } = (await c.req.json()) as { prompt: string; max_tokens?: number }
      const check = await reserveBudget(c, { input: estimateChatInput({ prompt }), wantedOutput: max_tokens })
      if (check.kind === 'refused') return refuse(c, check.refusal)
      if (check.kind === 'misconfigured') return misconfigured(c, check.message)
      if (check.kind === 'off') return c.json({ budget: 'off' })
      return c.json(check.ticket, 200, budgetHeaders(check.ticket))
    })
  }
  return app
}

function client(vars: Record<string, unknown>, identity: { ip?: string; token?: string }) {
  const app = budgetApp()
  const bindings = { ...env, ...vars }
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (identity.ip) headers['cf-connecting-ip'] = identity.ip
  if (identity.token) headers.authorization = `Bearer ${identity.token}`
  const send = (path: string, init: RequestInit = {}) =>
    Promise.resolve(
      app.fetch(
        new Request(`http://gateway.test${path}`, { ...init, headers: { ...headers, ...init.headers } }),
        bindings,
      ),
    )
  return {
    get: (path: string, init?: RequestInit) => send(path, init),
    post: (path: string, body: unknown) => send(path, { method: 'POST', body: JSON.stringify(body) }),
  }
}

const nextMidnight = () => Math.ceil((Date.now() + 1) / DAY) * DAY
const secondsToMidnight = () => Math.ceil((nextMidnight() - Date.now()) / 1000)
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')
const jwt = (claims: Record<string, unknown>) =>
  sign({ ...claims, exp: Math.floor(Date.now() / 1000) + 600 }, SECRET, 'HS256')

describe('GET /api/usage and /health', () => {
  it('without TOKEN_BUDGET: /api/usage is 200 {"budget":"off"} with no budget headers; /health says "off"', async () => {
    const gw = client({}, { ip: newIp() })
    const usage = await gw.get('/api/usage')
    expect(usage.status).toBe(200)
    expect(await usage.json()).toEqual({ budget: 'off' })
    expect(usage.headers.get('x-budget-remaining')).toBeNull()
    expect(await (await gw.get('/health')).json()).toMatchObject({ budgets: 'off' })
    expect(await (await gw.post('/api/budget-gate', { prompt: 'Hi' })).json()).toEqual({ budget: 'off' })
  })

  it('with TOKEN_BUDGET: the caller\'s own figures and headers; /health says only "on"', async () => {
    const ip = newIp()
    const gw = client({ TOKEN_BUDGET: '5000/1d' }, { ip })
    const granted = await gw.post('/api/budget-gate', { prompt: 'Hi', max_tokens: 300 })
    expect(granted.status).toBe(200)
    const input = estimateChatInput({ prompt: 'Hi' })
    expect(await granted.json()).toMatchObject({
      caller: `ip:${ip}`,
      input,
      output: 300,
      remaining: 5000 - input - 300,
    })
    expect(granted.headers.get('x-budget-remaining')).toBe(String(5000 - input - 300))

    const after = secondsToMidnight()
    const usage = await gw.get('/api/usage')
    expect(usage.status).toBe(200)
    expect(await usage.json()).toEqual({
      budget: 'on',
      caller: `ip:${ip}`,
      window: '1d',
      limit: 5000,
      used: 0,
      reserved: input + 300,
      remaining: 5000 - input - 300,
      resets_at: iso(nextMidnight()),
    })
    expect(usage.headers.get('x-budget-remaining')).toBe(String(5000 - input - 300))
    const reset = Number(usage.headers.get('x-budget-reset'))
    expect(reset).toBeGreaterThanOrEqual(secondsToMidnight())
    expect(reset).toBeLessThanOrEqual(after)

    const health = await gw.get('/health')
    const text = await health.text()
    expect(JSON.parse(text)).toMatchObject({ budgets: 'on' })
    expect(text).not.toMatch(/used|remaining|reserved|5000/)
  })

  it('an unreadable TOKEN_BUDGET: "misconfigured", requests refused with 503, the detail only in the log', async () => {
    const gw = client({ TOKEN_BUDGET: '5000 tokens a day' }, { ip: newIp() })
    expect(await (await gw.get('/health')).json()).toMatchObject({ budgets: 'misconfigured' })
    const logs = captureLogs()
    for (const path of ['/api/usage', '/api/budget-gate']) {
      const response = path === '/api/usage' ? await gw.get(path) : await gw.post(path, { prompt: 'Hi' })
      expect(response.status).toBe(503)
      const body = (await response.json()) as { error: string; request_id: string }
      expect(body.error).toBe(
        'gateway: the token budget is misconfigured (TOKEN_BUDGET), so no request is served until the operator fixes it.',
      )
      expect(body.request_id).toBe(response.headers.get('x-request-id'))
    }
    const v1 = await gw.post('/v1/budget-gate', { prompt: 'Hi' })
    expect(v1.status).toBe(503)
    expect(await v1.json()).toMatchObject({ error: { code: 'budget_misconfigured', type: 'server_error' } })
    logs.stop()
    const lines = logs.records()
    expect(lines).toHaveLength(3)
    for (const line of lines) {
      expect(line).toMatchObject({
        status: 503,
        budget_error: expect.stringMatching(/^TOKEN_BUDGET: "5000 tokens a day" is not/),
      })
    }
  })

  it('/api/usage is in /openapi.json, with the BudgetUsage schema', async () => {
    const doc = (await (await client({}, {}).get('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>
      components: { schemas: Record<string, unknown> }
    }
    expect(Object.keys(doc.paths['/api/usage']?.get?.responses ?? {}).sort()).toEqual([
      '200',
      '401',
      '405',
      '429',
      '503',
    ])
    expect(doc.components.schemas.BudgetUsage).toBeDefined()
  })
})

describe('the gate: fifty requests at once, refusals in both shapes', () => {
  for (const [name, vars] of [
    ['Durable Object', {}],
    ['memory', { BUDGETS: undefined }],
  ] as const) {
    it(`${name}: 50 concurrent requests of max_tokens 200 against 5,000: 19 held, 31 refused with 429`, async () => {
      const gw = client({ TOKEN_BUDGET: '5000/1d', ...vars }, { ip: newIp() })
      const prompt = 'Xin chào! Tell me a story.'
      const input = estimateChatInput({ prompt })
      const before = secondsToMidnight()
      const responses = await Promise.all(
        Array.from({ length: 50 }, () => gw.post('/api/budget-gate', { prompt, max_tokens: 200 })),
      )
      const after = secondsToMidnight()
      const granted = responses.filter((r) => r.status === 200)
      const refused = responses.filter((r) => r.status === 429)
      expect([granted.length, refused.length]).toEqual([19, 31])
      const tickets = (await Promise.all(granted.map((r) => r.json()))) as { input: number; output: number }[]
      expect(tickets.reduce((sum, t) => sum + t.input + t.output, 0)).toBe(5000)
      for (const response of refused) {
        const retryAfter = Number(response.headers.get('retry-after'))
        expect(retryAfter).toBeLessThanOrEqual(before)
        expect(retryAfter).toBeGreaterThanOrEqual(after)
        expect(response.headers.get('x-budget-reset')).toBe(String(retryAfter))
        expect(response.headers.get('x-budget-remaining')).toBe('0')
        const body = (await response.json()) as { error: string; request_id: string }
        expect(body.error).toMatch(
          new RegExp(
            `^budget: this caller has 0 of its 5000 tokens per 1d left \\(in-flight requests hold part of the budget until they end\\); this request needs at least ${input + 1} \\(its input estimate plus 1 output token\\)\\. The budget resets at ${iso(nextMidnight())} \\(in \\d+ s\\)\\.$`,
          ),
        )
        expect(body.request_id).toBe(response.headers.get('x-request-id'))
      }
      expect(await (await gw.get('/api/usage')).json()).toMatchObject({ reserved: 5000, remaining: 0, used: 0 })
    })
  }

  it("/v1: OpenAI's error shape, code budget_exceeded, with Retry-After", async () => {
    const gw = client({ TOKEN_BUDGET: '100/1h' }, { ip: newIp() })
    const response = await gw.post('/v1/budget-gate', { prompt: 'x'.repeat(200) })
    expect(response.status).toBe(429)
    const hour = Math.ceil((Date.now() + 1) / 3_600_000) * 3_600_000
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0)
    const body = (await response.json()) as { error: Record<string, unknown>; request_id: string }
    expect(body.error).toEqual({
      message: expect.stringMatching(
        new RegExp(
          `^budget: this caller has 100 of its 100 tokens per 1h left .*this request needs at least 241 .*resets at ${iso(hour)} `,
        ),
      ),
      type: 'tokens',
      param: null,
      code: 'budget_exceeded',
    })
    expect(body.request_id).toBe(response.headers.get('x-request-id'))
  })

  it('a browser on another origin may read the budget headers (CORS)', async () => {
    const gw = client({ TOKEN_BUDGET: '5000/1d' }, { ip: newIp() })
    const response = await gw.get('/api/usage', { headers: { origin: 'https://app.example' } })
    const exposed = response.headers.get('access-control-expose-headers')?.toLowerCase() ?? ''
    expect(exposed).toContain('x-budget-remaining')
    expect(exposed).toContain('x-budget-reset')
  })
})

describe("a signed token's budget claim", () => {
  it('overrides TOKEN_BUDGET for its sub only', async () => {
    const vars = { TOKEN_SIGNING_SECRET: SECRET, TOKEN_BUDGET: '5000/1d' }
    const sub = `alice-${Date.now().toString(36)}`
    const alice = client(vars, { token: await jwt({ sub, budget: 300 }) })
    const bob = client(vars, { token: await jwt({ sub: `bob-${Date.now().toString(36)}` }) })
    expect(await (await alice.get('/api/usage')).json()).toMatchObject({ caller: `sub:${sub}`, limit: 300 })
    expect(await (await bob.get('/api/usage')).json()).toMatchObject({ limit: 5000, remaining: 5000 })

    const input = estimateChatInput({ prompt: 'Hi' })
    const granted = await alice.post('/api/budget-gate', { prompt: 'Hi' })
    expect(await granted.json()).toMatchObject({ input, output: 300 - input, remaining: 0, limit: 300 })
    expect((await alice.post('/api/budget-gate', { prompt: 'Hi' })).status).toBe(429)
    expect((await bob.post('/api/budget-gate', { prompt: 'Hi' })).status).toBe(200)
    // A budget of 0 is a valid claim: the sub may spend nothing.
    const broke = client(vars, { token: await jwt({ sub: `carol-${Date.now().toString(36)}`, budget: 0 }) })
    expect((await broke.post('/api/budget-gate', { prompt: 'Hi' })).status).toBe(429)
  })

  it('a budget claim that is not a whole number ≥ 0: 401 naming the claim', async () => {
    const vars = { TOKEN_SIGNING_SECRET: SECRET, TOKEN_BUDGET: '5000/1d' }
    for (const budget of [-1, 1.5, '300', null]) {
      const response = await client(vars, { token: await jwt({ sub: 'dave', budget }) }).get('/api/usage')
      expect(response.status).toBe(401)
      expect(await response.json()).toEqual({
        error: 'access: the signed token\'s "budget" claim must be a whole number of tokens (0 or more).',
      })
    }
  })
})
