/**
 * Probe: the gateway's own work per request BEFORE its upstream request leaves (routing, config,
 * record, access, limits, body parsing and validation, the plan, the upstream request's body), on the
 * hot routes, in-process: `createApp` with an injected `fetch` that notes when it is called and answers
 * at once with a recorded SSE body (test/fixtures). No sockets, so the figures are the app's alone.
 *
 * Sequential: N requests one at a time, CPU (process.cpuUsage) and wall time (performance.now) from
 * `app.fetch` to the upstream `fetch` call. Concurrent: batches of C requests dispatched at once, CPU and
 * wall time from the first dispatch to the C-th upstream call (the work every request pays before the
 * last one's upstream request leaves), per request.
 *
 * @example
 * bun run bench/probes/pre-upstream.ts                  # Bun
 * npx tsx bench/probes/pre-upstream.ts                  # Node
 * PROBE_N=500 PROBE_ROUTES=api-openai bun run bench/probes/pre-upstream.ts
 */
import { readFileSync } from 'node:fs'
import { createApp } from '../../src/app.ts'
import type { Bindings } from '../../src/env.ts'

const ROOT = new URL('../../', import.meta.url)
const fixture = (name: string) => readFileSync(new URL(`test/fixtures/${name}`, ROOT), 'utf8')
const CANNED = {
  chat: fixture('openai-chat-basic.sse'),
  responses: fixture('openai-responses-text.sse'),
  gemini: fixture('gemini-basic.sse'),
}

const N = Number(process.env.PROBE_N ?? 2000)
const WARMUP = Number(process.env.PROBE_WARMUP ?? 1000)
const C = Number(process.env.PROBE_C ?? 50)
const BATCHES = Number(process.env.PROBE_BATCHES ?? 40)

interface Case {
  name: string
  path: string
  body: (i: number) => string
}
const CASES: Case[] = [
  {
    name: 'api-openai',
    path: '/api/stream/chat',
    body: (i) => JSON.stringify({ user_input: `Probe #${i}`, provider: 'openai' }),
  },
  {
    name: 'api-gemini',
    path: '/api/stream/chat',
    body: (i) => JSON.stringify({ user_input: `Probe #${i}`, provider: 'gemini' }),
  },
  {
    name: 'v1-openai',
    path: '/v1/chat/completions',
    body: (i) =>
      JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: `Probe #${i}` }], stream: true }),
  },
  {
    name: 'v1-gemini',
    path: '/v1/chat/completions',
    body: (i) =>
      JSON.stringify({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: `Probe #${i}` }], stream: true }),
  },
  {
    name: 'responses-openai',
    path: '/v1/responses',
    body: (i) => JSON.stringify({ model: 'gpt-4.1-mini', input: `Probe #${i}`, stream: true }),
  },
  {
    name: 'responses-gemini',
    path: '/v1/responses',
    body: (i) => JSON.stringify({ model: 'gemini-2.5-flash', input: `Probe #${i}`, stream: true }),
  },
]

/** The upstream `fetch` calls so far: their count, and the CPU and wall time of the last one. */
const calls = { count: 0, cpu: 0, at: 0 }
const cpuNow = (): number => {
  const { user, system } = process.cpuUsage()
  return user + system
}

/** PROBE_HANG=1 (for a CPU profile of the work before the upstream call alone): upstream never answers. */
const HANG = process.env.PROBE_HANG === '1'
let called: (() => void) | undefined

async function upstream(input: RequestInfo | URL): Promise<Response> {
  calls.cpu = cpuNow()
  calls.at = performance.now()
  calls.count++
  if (HANG) {
    called?.()
    return new Promise<Response>(() => {})
  }
  const url = String(input instanceof Request ? input.url : input)
  const body = url.includes('/responses') ? CANNED.responses : url.includes('/chat/') ? CANNED.chat : CANNED.gemini
  return new Response(body, { headers: { 'content-type': 'text/event-stream; charset=utf-8' } })
}

const bindings: Bindings = {
  OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
  GEMINI_BASE_URL: 'http://127.0.0.1:9',
  OPENAI_API_KEY: 'emu-key',
  GEMINI_API_KEY: 'emu-key',
  RATE_LIMIT: 'off',
  ...Object.fromEntries(
    (process.env.PROBE_VARS ?? '')
      .split(',')
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  ),
}
const app = createApp({ fetch: upstream as typeof fetch, flushHeadersEarly: true, clientIp: () => '127.0.0.1' })

/** As the bench's client sends it: a JSON body with its Content-Length. */
function request(c: Case, i: number): Request {
  const body = c.body(i)
  return new Request(`http://127.0.0.1:8000${c.path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      accept: 'text/event-stream',
    },
    body,
  })
}

async function finish(response: Response, c: Case): Promise<void> {
  const text = await response.text()
  if (response.status !== 200 || !/Cheyenne|Hi|output_text/.test(text)) {
    throw new Error(`${c.name}: HTTP ${response.status} ${text.slice(0, 300)}`)
  }
}

/** One request at a time: µs of CPU and wall time from `app.fetch` to the upstream call, per request. */
async function sequential(c: Case, n: number): Promise<{ cpu: number; wallP50: number }> {
  let cpu = 0
  const walls: number[] = []
  for (let i = 0; i < n; i++) {
    const req = request(c, i)
    const before = calls.count
    const c0 = cpuNow()
    const t0 = performance.now()
    const response = await app.fetch(req, bindings)
    if (calls.count !== before + 1) throw new Error(`${c.name}: no upstream call`)
    cpu += calls.cpu - c0
    walls.push((calls.at - t0) * 1000)
    await finish(response, c)
  }
  walls.sort((a, b) => a - b)
  return { cpu: cpu / n, wallP50: walls[Math.floor(n / 2)] ?? 0 }
}

/** Batches of `size` at once: µs per request of CPU and wall time until the last upstream call. */
async function concurrent(c: Case, batches: number, size: number): Promise<{ cpu: number; wall: number }> {
  let cpu = 0
  let wall = 0
  for (let b = 0; b < batches; b++) {
    const reqs = Array.from({ length: size }, (_, i) => request(c, b * size + i))
    const before = calls.count
    const c0 = cpuNow()
    const t0 = performance.now()
    const responses = reqs.map((req) => app.fetch(req, bindings) as Promise<Response>)
    // Every upstream call happens before every response resolves (the v1 routes wait for the first chunk).
    const settled = await Promise.all(responses)
    if (calls.count !== before + size) throw new Error(`${c.name}: ${calls.count - before} upstream calls of ${size}`)
    cpu += calls.cpu - c0
    wall += (calls.at - t0) * 1000
    await Promise.all(settled.map((response) => finish(response, c)))
  }
  return { cpu: cpu / batches / size, wall: wall / batches / size }
}

const bun = (globalThis as { Bun?: { version: string } }).Bun
/** PROBE_HANG: `n` requests of each case, each left hanging at its upstream call. */
async function hanging(c: Case, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const reached = new Promise<void>((resolve) => {
      called = resolve
    })
    void app.fetch(request(c, i), bindings)
    await reached
  }
}

const runtime = bun ? `bun ${bun.version}` : `node ${process.version}`
const only = process.env.PROBE_ROUTES?.split(',')
const log = console.log
console.log = () => {} // the request log lines
const rows: string[] = []
for (const c of CASES.filter((x) => !only || only.includes(x.name))) {
  if (HANG) {
    await hanging(c, N)
    continue
  }
  await sequential(c, WARMUP)
  await concurrent(c, 4, C)
  const seq = await sequential(c, N)
  const conc = await concurrent(c, BATCHES, C)
  rows.push(
    `| ${c.name} | ${seq.cpu.toFixed(0)} | ${seq.wallP50.toFixed(0)} | ${conc.cpu.toFixed(0)} | ${conc.wall.toFixed(0)} |`,
  )
}
if (HANG) process.exit(0)
log(`pre-upstream probe (${runtime}; N=${N} sequential, ${BATCHES}×${C} concurrent)`)
log('| route | seq CPU µs/req | seq wall p50 µs | c50 CPU µs/req | c50 wall µs/req |')
log('|---|---|---|---|---|')
for (const row of rows) log(row)
