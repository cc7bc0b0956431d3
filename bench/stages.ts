/**
 * `npm run bench:stages`: where the gateway's per-chunk cost goes. Streams the same burst answer
 * (delay=0, many chunks) through bench/stages/worker.ts, whose routes add the gateway's pipeline
 * one piece at a time (native pass-through → JS TransformStream → hand-written parser → the bare
 * SDK → the gateway's provider → flow + answerStream), and prints the time and server CPU per chunk of each stage and
 * what each step adds. Every stream is checked against the emulator's expectedAnswer.
 *
 *   npm run bench:stages -- [--runtime workers|bun] [--providers openai,gemini] [--runs 8] [--warmup 2] [--chunks 2000]
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { expectedAnswer } from '../emulator/answer.ts'
import { ROOT, freePort } from '../test/support/gateway.ts'
import { makeTarget, measureStream, type Provider, type StreamSample, type Target } from './lib/client.ts'
import * as cpu from './lib/cpu.ts'
import { startEmulatorProcess, startWranglerDev, spawnManaged, pollReady, stopAll, type Managed } from './lib/procs.ts'
import { median, p95 } from './lib/stats.ts'

const { values: opt } = parseArgs({
  options: {
    runtime: { type: 'string', default: 'workers' },
    providers: { type: 'string', default: 'openai,gemini' },
    runs: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    chunks: { type: 'string', default: '2000' },
    out: { type: 'string', default: join(ROOT, 'bench/results/stages.json') },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
if (opt.help) {
  console.log('usage: npm run bench:stages -- [--runtime workers|bun] [--providers openai,gemini] [--runs 8] [--warmup 2] [--chunks 2000] [--out file]')
  process.exit(0)
}
const runtime = opt.runtime === 'bun' ? 'bun' : 'workers'
const providers = opt.providers.split(',').map((s) => s.trim()).filter(Boolean) as Provider[]
const runs = Math.max(1, Number(opt.runs) || 8)
const warmup = Math.max(0, Number(opt.warmup) || 0)
const chunks = Math.max(10, Number(opt.chunks) || 2000)

const STAGES = [
  { path: '/s0-native', kind: 'passthrough', what: 'upstream body returned untouched' },
  { path: '/s1-js-pipe', kind: 'passthrough', what: '+ one identity JS TransformStream' },
  { path: '/s1-js-native-out', kind: 'passthrough', what: 'JS read loop → native IdentityTransformStream' },
  { path: '/s2-minimal', kind: 'gateway', what: 'hand-written SSE parser → chunkEvent' },
  { path: '/s3-bare-sdk', kind: 'gateway', what: 'the official SDK used directly → chunkEvent' },
  { path: '/s3-sdk', kind: 'gateway', what: "the gateway's provider (src/providers) instead" },
  { path: '/s4-flow', kind: 'gateway', what: '+ runStreamTestWorkflow + answerStream' },
] as const

let emulator: Managed | undefined
let worker: Managed | undefined
let interrupted = false
const agents: Target[] = []
const stopEverything = async () => {
  for (const t of agents) t.agent.destroy()
  await Promise.allSettled([worker?.stop(), emulator?.stop()])
  await stopAll()
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (interrupted) return
    interrupted = true
    console.error(`\n${signal}: stopping...`)
    void stopEverything().finally(() => process.exit(130))
  })
}

function sentencesFor(provider: Provider): number {
  for (let s = 5; s < 2000; s += 5) if (Array.from(expectedAnswer('Stage #0', { provider, sentences: s })).length >= chunks + 40) return s
  return 2000
}

const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '–')
const signed = (x: number, d = 1) => (Number.isFinite(x) && x > 0 ? '+' : '') + fmt(x, d)

let exitCode = 0
try {
  const began = performance.now()
  emulator = await startEmulatorProcess()
  if (runtime === 'workers') {
    worker = await startWranglerDev('stages (workers)', 'bench/stages/wrangler.toml', { UPSTREAM: emulator.url })
  } else {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    worker = await spawnManaged({
      name: 'stages (bun)',
      file: join(ROOT, 'node_modules/.bin/bun'),
      args: ['run', 'bench/stages/bun.ts'],
      env: { UPSTREAM: emulator.url, PORT: String(port), HOST: '127.0.0.1' },
      ready: async (_, exited) => {
        await pollReady(`${url}/__ready`, exited, 30_000)
        return url
      },
    })
  }
  console.log(`stages on ${runtime}: worker ${worker.url} (pid ${worker.pid}), emulator ${emulator.url}; burst delay=0 chunks=${chunks}, ${warmup}+${runs} runs per stage, interleaved`)
  const results: unknown[] = []
  for (const provider of providers) {
    if (interrupted) break
    const tag = `[emu ttft=0 delay=0 chunks=${chunks} sentences=${sentencesFor(provider)}]`
    const targets = STAGES.map((s) =>
      makeTarget(s.kind, s.path, worker!.url, (p, prompt) => ({
        path: `${s.path}?provider=${p}`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt }),
      })),
    )
    agents.push(...targets)
    const samples = new Map<string, StreamSample[]>(STAGES.map((s) => [s.path, []]))
    const cpuMs = new Map<string, number[]>(STAGES.map((s) => [s.path, []]))
    const failures = new Map<string, string[]>(STAGES.map((s) => [s.path, []]))
    let n = 0
    for (let round = 0; round < warmup + runs && !interrupted; round++) {
      for (let k = 0; k < targets.length; k++) {
        const t = targets[(round + k) % targets.length]!
        const prompt = `Stage ${t.label} #${++n} ${tag}`
        const before = cpu.total(cpu.groupCpu(worker.pid))
        const s = await measureStream(t, provider, prompt, expectedAnswer(prompt, { provider }))
        const after = cpu.total(cpu.groupCpu(worker.pid))
        if (!s.ok) failures.get(t.label)!.push(s.failure ?? '?')
        else if (round >= warmup) {
          samples.get(t.label)!.push(s)
          cpuMs.get(t.label)!.push(after - before)
        }
      }
    }
    console.log(`\n${runtime} · ${provider} · burst ${tag}`)
    const head = ['stage', 'what', 'µs/chunk med', 'p95', 'Δ vs previous', 'CPU µs/chunk', 'Δ CPU', 'reads', 'n']
    const rows: string[][] = []
    let prev: { us: number; cpu: number } | undefined
    const out: Record<string, unknown> = {}
    for (const s of STAGES) {
      const xs = samples.get(s.path)!
      const per = xs.map((x) => ((x.total - x.ttft) / Math.max(1, x.textEvents - 1)) * 1000)
      const events = median(xs.map((x) => x.textEvents))
      const cpuPerChunk = cpu.available ? (cpuMs.get(s.path)!.reduce((a, b) => a + b, 0) / Math.max(1, xs.length) / events) * 1000 : NaN
      const us = median(per)
      rows.push([
        s.path,
        s.what,
        fmt(us),
        fmt(p95(per)),
        prev ? signed(us - prev.us) : '',
        fmt(cpuPerChunk),
        prev ? signed(cpuPerChunk - prev.cpu) : '',
        fmt(median(xs.map((x) => x.reads)), 0),
        `${xs.length}${failures.get(s.path)!.length ? ` FAILED=${failures.get(s.path)!.length}` : ''}`,
      ])
      out[s.path] = { what: s.what, perChunkUs: { median: us, p95: p95(per) }, cpuPerChunkUs: cpuPerChunk, totalMs: median(xs.map((x) => x.total)), ttftMs: median(xs.map((x) => x.ttft)), reads: median(xs.map((x) => x.reads)), n: xs.length, failures: failures.get(s.path) }
      prev = { us, cpu: cpuPerChunk }
      if (failures.get(s.path)!.length) exitCode = 1
    }
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
    const line = (c: string[]) => '  ' + c.map((x, i) => (i < 2 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ')
    console.log(line(head))
    for (const r of rows) console.log(line(r))
    for (const s of STAGES) for (const f of new Set(failures.get(s.path))) console.log(`  ! ${s.path}: ${f}`)
    results.push({ runtime, provider, scenario: tag, stages: out })
  }
  if (!interrupted) {
    mkdirSync(join(opt.out, '..'), { recursive: true })
    writeFileSync(opt.out, `${JSON.stringify({ date: new Date().toISOString(), runtime, runs, warmup, chunks, results }, null, 2)}\n`)
    console.log(`\nwrote ${opt.out} (${((performance.now() - began) / 1000).toFixed(1)} s)`)
  }
} catch (error) {
  exitCode = 1
  console.error(`stages failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
} finally {
  if (!interrupted) {
    await stopEverything()
    process.exit(exitCode)
  }
}
