/**
 * The token budget end to end on Bun (memory and Redis) and Node: real gateway processes with
 * `TOKEN_BUDGET=5000/1d` in front of the provider emulator (which keeps the output limit as a model
 * does, and logs every request it gets). Each test is a caller of its own (a JWT `sub`).
 *
 * Fifty concurrent streams never settle past 5,000 and the refused ones never reach the emulator; a
 * request without `max_tokens` is sent with what remains as its output limit; a client that leaves
 * is charged for what was generated; a `budget` claim is that caller's limit only; `/v1` refuses in
 * OpenAI's shape and settles to the usage chunk it asked for; a reservation of a killed process is
 * charged in full at its expiry (Redis).
 *
 * Narrow the runtimes with GATEWAY_RUNTIMES=bun (or node). GATEWAY_LOG=1 shows the gateways' output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectedChunks, startEmulator, type Emulator } from '../../emulator/server.ts'
import { budgetCaller, requestLines, seedInputEstimate, type BudgetCaller } from '../support/budget-client.ts'
import { startGateways, type RunningGateway, type Runtime } from '../support/gateway.ts'
import { startRedis, type RunningRedis } from '../support/redis-server.ts'
import { readGatewayStream, readUntil } from '../support/sse.ts'

const SECRET = 'e2e-budget-secret-Qm4Vx8Lp2'
const GRACE_MS = 300
const wanted = (process.env.GATEWAY_RUNTIMES ?? 'bun,node').split(',').map((s) => s.trim())

interface Setup {
  name: string
  runtime: Runtime
  redis: boolean
}
const SETUPS = (
  [
    { name: 'Bun, memory', runtime: 'bun', redis: false },
    { name: 'Bun, Redis', runtime: 'bun', redis: true },
    { name: 'Node, memory', runtime: 'node', redis: false },
  ] as const satisfies readonly Setup[]
).filter((setup) => wanted.includes(setup.runtime))

let emu: Emulator
let redis: RunningRedis | undefined
const gateways = new Map<string, RunningGateway>()
/** A second Bun gateway on the same Redis, killed mid-answer (MAX_DURATION_MS 2.5 s: reservations expire after 5 s). */
let doomed: RunningGateway | undefined

const vars = (extra: Record<string, string> = {}) => ({
  TOKEN_BUDGET: '5000/1d',
  TOKEN_SIGNING_SECRET: SECRET,
  RESUME_GRACE_MS: String(GRACE_MS),
  ...extra,
})

beforeAll(async () => {
  emu = await startEmulator()
  const withRedis = SETUPS.some((setup) => setup.redis)
  if (withRedis) redis = await startRedis()
  const options = SETUPS.map((setup) => ({
    runtime: setup.runtime,
    upstreamUrl: emu.url,
    vars: vars(setup.redis && redis ? { REDIS_URL: redis.url } : {}),
  }))
  if (withRedis && redis) {
    options.push({
      runtime: 'bun',
      upstreamUrl: emu.url,
      vars: vars({ REDIS_URL: redis.url, MAX_DURATION_MS: '2500' }),
    })
  }
  const started = await startGateways(options)
  for (const [i, setup] of SETUPS.entries()) gateways.set(setup.name, started[i]!)
  doomed = withRedis ? started.at(-1) : undefined
})

afterAll(async () => {
  await Promise.all([...gateways.values(), ...(doomed ? [doomed] : [])].map((gw) => gw.stop()))
  await redis?.stop()
  await emu?.close()
})

/** The emulator's requests for a prompt (each test's prompts are its own). */
const upstreamFor = (prompt: string) => emu.requests().filter((entry) => entry.prompt === prompt)
const outputLimit = (body: unknown) => (body as { max_completion_tokens?: number }).max_completion_tokens

describe.each(SETUPS)('token budget on $name', (setup) => {
  const gw = () => gateways.get(setup.name)!
  const caller = (sub: string, claims: { budget?: number } = {}): Promise<BudgetCaller> =>
    budgetCaller(gw().url, SECRET, `${sub}-${setup.name.replace(/\W+/g, '-')}`, claims)
  const prompt = (what: string, tags = '') => `${what} (${setup.name}) ${tags}`.trim()

  it('fifty concurrent streams of max_tokens 200 against 5,000: settled within it, refused before any upstream request', async () => {
    const alice = await caller('fifty')
    // 120 output tokens each (plus the prompt's): fifty answers would need more than 5,000.
    // 60 bytes: a reservation of 100 + 200, so that the last to fit gets a smaller ceiling (5,000 = 16 × 300 + 200).
    const text = prompt('Fifty at once', '[emu chunks=120 delay=5]').padEnd(60, '.')
    const input = seedInputEstimate(text)
    expect(input).toBe(100)
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        alice.post('/api/stream/chat', { user_input: text, provider: 'openai', max_tokens: 200 }),
      ),
    )
    const granted = responses.filter((response) => response.status === 200)
    const refused = responses.filter((response) => response.status === 429)
    expect(granted.length + refused.length).toBe(50)
    for (const response of refused) {
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
      expect(((await response.json()) as { error: string }).error).toMatch(
        /^budget: this caller has \d+ of its 5000 tokens per 1d left/,
      )
    }
    const closing = await Promise.all(granted.map(async (response) => (await readGatewayStream(response)).last!))
    const spent: number[] = []
    const outputs: number[] = []
    for (const event of closing) {
      const { budget, usage } = event as {
        budget: { reserved: number; spent: number }
        usage: { total_tokens: number }
      }
      expect(event).toMatchObject({ done: true, provider: 'openai' })
      // An answer that ended well settles to the usage the provider reported.
      expect(budget.spent).toBe(usage.total_tokens)
      spent.push(budget.spent)
      outputs.push(budget.reserved - input)
    }
    // Only the granted went upstream, each with its granted ceiling as its output limit.
    const upstream = upstreamFor(text)
    expect(upstream).toHaveLength(granted.length)
    const sorted = (values: number[]) => [...values].sort((a, b) => a - b)
    expect(sorted(upstream.map((entry) => outputLimit(entry.body)!))).toEqual(sorted(outputs))
    expect(outputs.every((output) => output >= 1 && output <= 200)).toBe(true)

    const total = spent.reduce((sum, value) => sum + value, 0)
    expect(await alice.settledUsage()).toMatchObject({ limit: 5000, used: total, reserved: 0, remaining: 5000 - total })
    expect(total).toBeLessThanOrEqual(5000)
    expect(refused.length).toBeGreaterThanOrEqual(50 - Math.floor(5000 / Math.min(...spent)))
  })

  it('without max_tokens, with 300 tokens left: the output limit sent upstream is 300 minus the input estimate', async () => {
    const bob = await caller('three-hundred', { budget: 300 })
    const text = prompt('Three hundred left')
    const response = await bob.post('/api/stream/chat', { user_input: text, provider: 'openai' })
    expect(response.status).toBe(200)
    expect(response.headers.get('x-budget-remaining')).toBe('0')
    const stream = await readGatewayStream(response)
    expect(stream.last).toMatchObject({ done: true, budget: { reserved: 300 } })
    const [request] = upstreamFor(text)
    expect(outputLimit(request!.body)).toBe(300 - seedInputEstimate(text))
    expect(await bob.settledUsage()).toMatchObject({
      limit: 300,
      used: (stream.last!.budget as { spent: number }).spent,
    })
  })

  it('a client that leaves mid-answer and never comes back is charged for what was generated', async () => {
    const carol = await caller('leaves')
    const text = prompt('Leaving early', '[emu delay=150]')
    const input = seedInputEstimate(text)
    const controller = new AbortController()
    const response = await carol.post(
      '/api/stream/chat',
      { user_input: text, provider: 'openai', max_tokens: 1000 },
      { signal: controller.signal },
    )
    expect(response.status).toBe(200)
    const seen = await readUntil(response, (_event, all) => all.filter((e) => e.chunk).length >= 3)
    controller.abort()
    const used = (await carol.settledUsage()).used
    // The gateway stopped the upstream request once the grace was over, before the answer's end.
    const request = await emu.waitForRequest((entry) => entry.prompt === text && entry.clientClosedEarly, 10_000)
    const pieces = expectedChunks(text, { provider: 'openai' })
    expect(request.chunksSent).toBeLessThan(pieces.length)
    // The upper estimate of what was generated: the input plus 3 per UTF-16 unit of text decoded.
    const received = seen.map((event) => event.chunk ?? '').join('')
    expect(used).toBeGreaterThanOrEqual(input + 3 * received.length)
    expect(used).toBeLessThanOrEqual(input + 3 * pieces.slice(0, request.chunksSent).join('').length)
    expect(used).toBeLessThan(input + 1000)
    const line = requestLines(gw().output()).find((entry) => entry.request_id === response.headers.get('x-request-id'))
    expect(line?.budget).toEqual({ reserved: input + 1000, spent: used })
  })

  it("a JWT's budget claim is its caller's limit; another sub keeps TOKEN_BUDGET's and is unaffected", async () => {
    const text = prompt('Claimed')
    const input = seedInputEstimate(text)
    const dave = await caller('claim', { budget: input + 50 })
    const erin = await caller('no-claim')
    const first = await dave.post('/api/stream/chat', { user_input: text, provider: 'openai', max_tokens: 200 })
    expect(first.status).toBe(200)
    // Only 50 output tokens fit: the answer stops there.
    expect((await readGatewayStream(first)).last).toMatchObject({
      finish_reason: 'length',
      budget: { reserved: input + 50 },
    })
    expect(outputLimit(upstreamFor(text)[0]!.body)).toBe(50)
    const daves = await dave.settledUsage()
    expect(daves).toMatchObject({ limit: input + 50, reserved: 0 })
    const again = await dave.post('/api/stream/chat', { user_input: text, provider: 'openai' })
    expect(again.status).toBe(429)
    expect(((await again.json()) as { error: string }).error).toContain(`of its ${input + 50} tokens per 1d left`)
    expect(upstreamFor(text)).toHaveLength(1)

    expect(await erin.usage()).toMatchObject({ limit: 5000, used: 0, reserved: 0 })
    const hers = await erin.post('/api/stream/chat', { user_input: prompt('Not claimed'), provider: 'openai' })
    expect(hers.status).toBe(200)
    await readGatewayStream(hers)
    expect((await erin.settledUsage()).used).toBeGreaterThan(0)
    expect(await dave.usage()).toMatchObject({ used: daves.used })
  })

  it("/v1/chat/completions: OpenAI's 429 budget_exceeded; a stream settles to the usage chunk, kept from a client that did not ask", async () => {
    const poor = await caller('v1-poor', { budget: 10 })
    const body = (content: string, extra: Record<string, unknown> = {}) => ({
      model: 'gpt-4.1-mini',
      stream: true,
      messages: [{ role: 'user', content }],
      ...extra,
    })
    const refused = await poor.post('/v1/chat/completions', body(prompt('Too poor')))
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(await refused.json()).toMatchObject({
      error: {
        type: 'tokens',
        code: 'budget_exceeded',
        message: expect.stringMatching(/^budget: this caller has 10 of its 10 tokens/),
      },
    })
    expect(upstreamFor(prompt('Too poor'))).toHaveLength(0)

    const frank = await caller('v1')
    const text = prompt('Usage please')
    const asked = await frank.post('/v1/chat/completions', body(text, { stream_options: { include_usage: true } }))
    const askedText = await asked.text()
    const total = Number(/"usage":\{[^}]*"total_tokens":(\d+)/.exec(askedText)?.[1])
    expect(total).toBeGreaterThan(0)
    expect((await frank.settledUsage()).used).toBe(total)

    const silent = await frank.post('/v1/chat/completions', body(text))
    expect(silent.headers.get('x-budget-remaining')).toMatch(/^\d+$/)
    const silentText = await silent.text()
    expect(silentText).not.toContain('"usage":{')
    expect(silentText).not.toContain('"choices":[]')
    expect(silentText.endsWith('data: [DONE]\n\n')).toBe(true)
    // The gateway asked for the usage anyway, and settled to it.
    expect(upstreamFor(text).map((entry) => (entry.body as { stream_options?: unknown }).stream_options)).toEqual([
      { include_usage: true },
      { include_usage: true },
    ])
    expect((await frank.settledUsage()).used).toBe(2 * total)
  })

  it.runIf(setup.redis)(
    'a killed Bun process: its reservation is charged in full at its expiry, then released',
    async () => {
      const text = prompt('Killed mid-answer', '[emu delay=200]')
      const input = seedInputEstimate(text)
      const onDoomed = await budgetCaller(doomed!.url, SECRET, 'killed-process')
      const elsewhere = await budgetCaller(gw().url, SECRET, 'killed-process')
      const response = await onDoomed.post('/api/stream/chat', {
        user_input: text,
        provider: 'openai',
        max_tokens: 200,
      })
      expect(response.status).toBe(200)
      await readUntil(response, (event) => Boolean(event.chunk))
      process.kill(-doomed!.pid, 'SIGKILL')
      await doomed!.exited
      // Another instance sees the reservation in Redis, then its expiry charges it in full.
      expect(await elsewhere.usage()).toMatchObject({ used: 0, reserved: input + 200 })
      expect(await elsewhere.settledUsage()).toMatchObject({
        used: input + 200,
        reserved: 0,
        remaining: 5000 - input - 200,
      })
    },
  )
})
