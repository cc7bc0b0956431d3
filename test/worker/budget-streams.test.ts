/**
 * The token budget end to end on Workers: fifty concurrent `/api/stream/chat` streams from one
 * caller against `TOKEN_BUDGET=5000/1d`, through the real app. With the Durable Objects (each stream
 * in its ResumableStream object, which settles into the caller's BudgetAccount object) and in this
 * isolate with the memory ledger. The settled total never passes 5,000; the refused requests never
 * reached the upstream; once every stream ended nothing is reserved and `used` is the sum of the
 * `budget.spent` the closing events carry.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app'
import { estimateInputTokens } from '../../src/budgets/estimate'
import { createMemoryStreams } from '../../src/streams/memory-streams'
import { captureLogs } from './app-call'
import { readStream, scenario, upstreamRequests, waitFor } from './helpers'

const DAY = 86_400_000
/** What the fixture's usage chunk reports for every answer: 12 prompt + 100 completion tokens. */
const SPENT = 112
/** Long enough that its input estimate alone is above SPENT: no reservation is ever smaller than what the fixture reports. */
const PROMPT =
  'Tell me everything about the budgets of language model gateways, in as much detail as you can. Xin chào!'
const INPUT = estimateInputTokens([PROMPT])
let ips = 0

interface Usage {
  limit: number
  used: number
  reserved: number
  remaining: number
}

function client(app: ReturnType<typeof createApp>, bindings: Record<string, unknown>) {
  const ip = `203.0.113.${100 + ips++}`
  const send = (path: string, init: RequestInit = {}) =>
    Promise.resolve(
      app.fetch(
        new Request(`http://gateway.test${path}`, {
          ...init,
          headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip, ...init.headers },
        }),
        bindings,
      ),
    )
  return {
    chat: (body: unknown) => send('/api/stream/chat', { method: 'POST', body: JSON.stringify(body) }),
    usage: async () => (await (await send('/api/usage')).json()) as Usage,
  }
}

async function fiftyStreams(app: ReturnType<typeof createApp>, bindings: Record<string, unknown>) {
  const gw = client(app, { ...bindings, TOKEN_BUDGET: '5000/1d' })
  // Slow enough that the fifty requests arrive while the first answers still run.
  const model = await scenario({ fixture: 'openai-chat-usage.sse', delayMs: 100 })
  const body = { user_input: PROMPT, provider: 'openai', model, max_tokens: 200 }
  const before = Date.now()
  const responses = await Promise.all(Array.from({ length: 50 }, () => gw.chat(body)))
  const granted = responses.filter((response) => response.status === 200)
  const refused = responses.filter((response) => response.status === 429)
  expect(granted.length + refused.length).toBe(50)

  const reset = Math.ceil((Date.now() + 1) / DAY) * DAY
  const latest = Math.ceil((reset - before) / 1000)
  const earliest = Math.ceil((reset - Date.now()) / 1000)
  for (const response of refused) {
    const retryAfter = Number(response.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThanOrEqual(earliest)
    expect(retryAfter).toBeLessThanOrEqual(latest)
    expect(response.headers.get('x-budget-reset')).toBe(String(retryAfter))
    expect(((await response.json()) as { error: string }).error).toMatch(
      /^budget: this caller has \d+ of its 5000 tokens per 1d left \(in-flight requests hold part of the budget until they end\); this request needs at least \d+ /,
    )
  }
  const remaining = granted.map((response) => Number(response.headers.get('x-budget-remaining')))
  expect(remaining.every((value) => value >= 0 && value < 5000)).toBe(true)

  const closing = await Promise.all(granted.map(async (response) => (await readStream(response)).events.at(-1)!))
  const spent = closing.map((event) => {
    expect(event).toMatchObject({ done: true, finish_reason: 'length', budget: { spent: SPENT } })
    const { reserved } = event.budget as { reserved: number }
    expect(reserved).toBeGreaterThan(INPUT)
    expect(reserved).toBeLessThanOrEqual(INPUT + 200)
    return SPENT
  })
  // Only the granted requests went upstream, each with its granted ceiling as the output limit.
  const upstream = await upstreamRequests(model)
  expect(upstream).toHaveLength(granted.length)
  const ceilings = upstream.map((request) => (request.body as { max_completion_tokens: number }).max_completion_tokens)
  expect(ceilings.every((ceiling) => ceiling >= 1 && ceiling <= 200)).toBe(true)

  // Settling runs after the closing event: wait until nothing is reserved.
  const settled = await waitFor(async () => {
    const usage = await gw.usage()
    return usage.reserved === 0 ? usage : undefined
  }, 10_000)
  const total = spent.reduce((sum, value) => sum + value, 0)
  expect(settled).toMatchObject({ limit: 5000, used: total, reserved: 0, remaining: 5000 - total })
  expect(total).toBeLessThanOrEqual(5000)
  // 50 answers of 112 tokens would be 5,600: some must have been refused, whatever the timing.
  expect(refused.length).toBeGreaterThanOrEqual(50 - Math.floor(5000 / SPENT))
  return { model, granted: granted.length, refused: refused.length }
}

describe('fifty concurrent streams against TOKEN_BUDGET=5000/1d', () => {
  it("Durable Objects: each stream in its object settles into the caller's BudgetAccount", async () => {
    const app = createApp()
    await fiftyStreams(app, { ...env })
  })

  it('in this isolate: memory streams and the memory ledger; each log line says what was reserved and spent', async () => {
    const app = createApp({ streams: createMemoryStreams() })
    const logs = captureLogs()
    let counts: { model: string; granted: number; refused: number }
    try {
      counts = await fiftyStreams(app, { ...env, BUDGETS: undefined })
    } finally {
      logs.stop()
    }
    // This test's lines: the refused name the scenario's model, the answered ones the fixture's in their attempts.
    const lines = logs.records().filter((line) => {
      const attempts = line.attempts as { model: string }[] | undefined
      return line.model === counts.model || attempts?.[0]?.model === counts.model
    })
    const done = lines.filter((line) => line.status === 200)
    expect(done).toHaveLength(counts.granted)
    for (const line of done) expect(line.budget).toEqual({ reserved: expect.any(Number), spent: SPENT })
    const refused = lines.filter((line) => line.status === 429)
    expect(refused).toHaveLength(counts.refused)
    for (const line of refused) expect(line.budget).toBeUndefined()
  })

  it('RESUMABLE=off: the direct path settles when the answer ends', async () => {
    const app = createApp()
    await fiftyStreams(app, { ...env, RESUMABLE: 'off' })
  })
})
