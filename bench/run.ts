/**
 * `npm run bench`: the gateway's own cost, measured against a bare pass-through worker on the same
 * runtime (see bench/README.md).
 *
 * Starts the provider emulator (a child process, port 0), then per runtime the gateway
 * (test/support/gateway.ts) and the pass-through (bench/passthrough/) on free ports, and streams
 * the same answers through both from this process: a steady case (ttft=0, small fixed delay)
 * sequentially and at concurrency 4, and a burst case (delay=0, many chunks). Every stream is
 * checked (done event, text equal to the emulator's expectedAnswer). Prints tables and writes
 * bench/results/latest.json. Every process it started is stopped at the end, on failure and on
 * Ctrl-C.
 *
 *   npm run bench [-- --runtimes workers,bun --seq 30 --warmup 5 --conc 4 --conc-n 20
 *                    --chunks 100 --delay 2 --burst-chunks 2000 --burst-n 10 --quick]
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { expectedAnswer } from '../emulator/answer.ts'
import { ROOT, startGateway, type RunningGateway } from '../test/support/gateway.ts'
import { makeTarget, measureStream, type Provider, type StreamSample, type Target } from './lib/client.ts'
import { startEmulatorProcess, startPassthrough, stopAll, type Managed, type Runtime } from './lib/procs.ts'
import { bootstrapMedianDiff, median, p95 } from './lib/stats.ts'
import * as cpu from './lib/cpu.ts'

const { values: opt } = parseArgs({
  options: {
    runtimes: { type: 'string', default: process.env.BENCH_RUNTIMES ?? 'workers,bun' },
    providers: { type: 'string', default: 'openai,gemini' },
    warmup: { type: 'string', default: '5' },
    seq: { type: 'string', default: '30' },
    conc: { type: 'string', default: '4' },
    'conc-n': { type: 'string', default: '20' },
    chunks: { type: 'string', default: '100' },
    delay: { type: 'string', default: '2' },
    'burst-chunks': { type: 'string', default: '2000' },
    'burst-n': { type: 'string', default: '10' },
    'burst-warmup': { type: 'string', default: '2' },
    direct: { type: 'boolean', default: true },
    'no-direct': { type: 'boolean', default: false },
    budget: { type: 'string', default: '170' },
    out: { type: 'string', default: join(ROOT, 'bench/results/latest.json') },
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
if (opt.help) {
  console.log(
    'usage: npm run bench [-- --runtimes workers,bun,node --providers openai,gemini --warmup 5 --seq 30 --conc 4 --conc-n 20\n' +
      '                        --chunks 100 --delay 2 --burst-chunks 2000 --burst-n 10 --burst-warmup 2 --no-direct\n' +
      '                        --budget 170 --out bench/results/latest.json --quick]',
  )
  process.exit(0)
}

const int = (name: keyof typeof opt, min = 0): number => {
  const n = Number(opt[name])
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be an integer >= ${min} (got ${String(opt[name])})`)
    process.exit(2)
  }
  return n
}
const quick = opt.quick
const cfg = {
  runtimes: opt.runtimes.split(',').map((s) => s.trim()).filter(Boolean) as Runtime[],
  providers: opt.providers.split(',').map((s) => s.trim()).filter(Boolean) as Provider[],
  warmup: quick ? 2 : int('warmup'),
  seq: quick ? 5 : int('seq', 1),
  conc: int('conc', 1),
  concN: quick ? 4 : int('conc-n', 0),
  chunks: int('chunks', 1),
  delay: int('delay'),
  burstChunks: int('burst-chunks', 0),
  burstN: quick ? 2 : int('burst-n', 0),
  burstWarmup: quick ? 1 : int('burst-warmup'),
  direct: opt.direct && !opt['no-direct'],
  budgetMs: Number(opt.budget) * 1000,
}
for (const r of cfg.runtimes) {
  if (!['workers', 'bun', 'node'].includes(r)) {
    console.error(`unknown runtime ${r} (workers, bun, node)`)
    process.exit(2)
  }
}
for (const p of cfg.providers) {
  if (p !== 'openai' && p !== 'gemini') {
    console.error(`unknown provider ${p} (openai, gemini)`)
    process.exit(2)
  }
}

// ---------------------------------------------------------------------------------------------
// Processes, and stopping them whatever happens.

let emulator: Managed | undefined
let gateway: RunningGateway | undefined
let passthrough: Managed | undefined
const targets: Target[] = []

async function stopEverything(): Promise<void> {
  for (const t of targets) t.agent.destroy()
  await Promise.allSettled([gateway?.stop(), passthrough?.stop(), emulator?.stop()])
  await stopAll()
}

let interrupted = false
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (interrupted) return
    interrupted = true
    console.error(`\n${signal}: stopping the gateway, the pass-through and the emulator (no results are written)...`)
    void stopEverything().finally(() => process.exit(130))
  })
}

// ---------------------------------------------------------------------------------------------
// Cases.

type Metric = 'ttfb' | 'ttft' | 'total' | 'upstream' | 'rate' | 'perEventUs'
const METRICS: { key: Metric; label: string; unit: string; burstOnly?: boolean }[] = [
  { key: 'ttfb', label: 'time to first byte (headers)', unit: 'ms' },
  { key: 'ttft', label: 'time to first text chunk', unit: 'ms' },
  { key: 'total', label: 'total time', unit: 'ms' },
  { key: 'upstream', label: "the emulator's own time for the request (its log, 1 ms resolution)", unit: 'ms' },
  { key: 'rate', label: 'text chunks/s after the first', unit: '/s' },
  { key: 'perEventUs', label: 'time per text chunk after the first', unit: 'µs', burstOnly: true },
]

interface CaseDef {
  name: 'steady-seq' | 'steady-conc' | 'burst'
  tag: string
  warmup: number
  n: number
  concurrency: number
}

interface TargetResult {
  label: string
  kind: Target['kind']
  n: number
  failures: number
  failureSamples: string[]
  stats: Record<Metric, { median: number; p95: number }>
  textEventsMedian: number
  readsMedian: number
  bytesMedian: number
  samples: (Pick<StreamSample, 'ttfb' | 'ttft' | 'total' | 'textEvents' | 'reads'> & { upstream: number | null })[]
}

interface CaseResult {
  runtime: Runtime
  provider: Provider
  case: CaseDef['name']
  scenario: string
  concurrency: number
  warmup: number
  requested: number
  truncatedByBudget: boolean
  seconds: number
  targets: Record<string, TargetResult>
  /** gateway − passthrough, the gateway's own cost. */
  diff: Record<Metric, { median: number; p95: number; medianCi95: [number, number] }>
  /**
   * Server CPU (user + system, all processes of the server's group) per stream, warm-ups included,
   * for the gateway and the pass-through; the emulator's total for the case. Linux only.
   */
  cpu?: { perStreamMs: Record<string, number>; diffPerStreamMs: number; diffPerChunkUs: number; emulatorMs: number; byProcessMs: Record<string, Record<string, number>> }
}

function sentencesFor(chunks: number, provider: Provider): number {
  // `chunks=N` yields at most one piece per code point: make the answer long enough.
  for (let s = 5; s < 2000; s += 5) {
    if (Array.from(expectedAnswer('Bench #0', { provider, sentences: s })).length >= chunks + 40) return s
  }
  return 2000
}

function tagFor(name: CaseDef['name'], provider: Provider): string {
  if (name === 'burst') return `[emu ttft=0 delay=0 chunks=${cfg.burstChunks} sentences=${sentencesFor(cfg.burstChunks, provider)}]`
  return `[emu ttft=0 delay=${cfg.delay} chunks=${cfg.chunks}]`
}

/** Per stream: the emulator's own time from the request's arrival to its last write (ms, from its log). */
const upstreamMs = new WeakMap<StreamSample, number>()

const metricOf = (s: StreamSample, m: Metric): number => {
  if (m === 'upstream') return upstreamMs.get(s) ?? NaN
  const stream = s.total - s.ttft
  if (m === 'rate') return s.textEvents > 1 ? ((s.textEvents - 1) / stream) * 1000 : NaN
  if (m === 'perEventUs') return s.textEvents > 1 ? (stream / (s.textEvents - 1)) * 1000 : NaN
  return s[m]
}

const startedAt = performance.now()
const overBudget = () => performance.now() - startedAt > cfg.budgetMs

let prompts = 0
function nextPrompt(provider: Provider, name: string, tag: string): { prompt: string; expected: string } {
  const prompt = `Bench ${name} #${++prompts} ${tag}`
  return { prompt, expected: expectedAnswer(prompt, { provider }) }
}

/** Runs one case over the targets: interleaved (rotating order) when sequential, ABBA halves when concurrent. */
async function runCase(runtime: Runtime, provider: Provider, def: CaseDef, tgs: Target[], pgids: Record<string, number>): Promise<CaseResult> {
  const began = performance.now()
  const streams = new Map<string, number>(tgs.map((t) => [t.label, 0]))
  const cpuBefore = Object.fromEntries(Object.entries(pgids).map(([k, pid]) => [k, cpu.groupCpu(pid)]))
  const samples = new Map<string, StreamSample[]>(tgs.map((t) => [t.label, []]))
  let truncated = false
  const promptOf = new Map<StreamSample, string>()
  const one = async (t: Target, record: boolean) => {
    const { prompt, expected } = nextPrompt(provider, def.name, def.tag)
    const s = await measureStream(t, provider, prompt, expected)
    promptOf.set(s, prompt)
    streams.set(t.label, streams.get(t.label)! + 1)
    if (record) samples.get(t.label)!.push(s)
    else if (!s.ok) samples.get(t.label)!.push(s) // a failed warm-up is reported too
    return s
  }
  if (def.concurrency <= 1) {
    for (let i = 0; i < def.warmup + def.n; i++) {
      if (interrupted) break
      if (overBudget() && i >= def.warmup) {
        truncated = true
        break
      }
      const order = tgs.map((_, k) => tgs[(i + k) % tgs.length]!)
      for (const t of order) await one(t, i >= def.warmup)
    }
  } else {
    const pool = async (t: Target, count: number, record: boolean) => {
      let next = 0
      const worker = async () => {
        while (next < count && !interrupted && !(record && overBudget())) {
          next++
          await one(t, record)
        }
      }
      await Promise.all(Array.from({ length: Math.min(def.concurrency, count) }, worker))
      if (record && next < count) truncated = true
    }
    for (const t of tgs) await pool(t, def.warmup, false)
    const half = Math.ceil(def.n / 2)
    const order = [...tgs, ...[...tgs].reverse()]
    for (const [k, t] of order.entries()) await pool(t, k < tgs.length ? half : def.n - half, true)
  }

  await readEmulatorLog(promptOf)
  const cpuAfter = Object.fromEntries(Object.entries(pgids).map(([k, pid]) => [k, cpu.groupCpu(pid)]))
  const targetsOut: Record<string, TargetResult> = {}
  for (const t of tgs) {
    const all = samples.get(t.label)!
    const good = all.filter((s) => s.ok)
    const stats = {} as TargetResult['stats']
    for (const m of METRICS) {
      const xs = good.map((s) => metricOf(s, m.key))
      stats[m.key] = { median: median(xs), p95: p95(xs) }
    }
    targetsOut[t.label] = {
      label: t.label,
      kind: t.kind,
      n: good.length,
      failures: all.length - good.length,
      failureSamples: [...new Set(all.filter((s) => !s.ok).map((s) => s.failure ?? '?'))].slice(0, 5),
      stats,
      textEventsMedian: median(good.map((s) => s.textEvents)),
      readsMedian: median(good.map((s) => s.reads)),
      bytesMedian: median(good.map((s) => s.bytes)),
      samples: good.map((s) => ({ ttfb: r3(s.ttfb), ttft: r3(s.ttft), total: r3(s.total), upstream: upstreamMs.get(s) ?? null, textEvents: s.textEvents, reads: s.reads })),
    }
  }
  const gw = samples.get('gateway')!.filter((s) => s.ok)
  const pt = samples.get('passthrough')!.filter((s) => s.ok)
  const diff = {} as CaseResult['diff']
  for (const m of METRICS) {
    const a = gw.map((s) => metricOf(s, m.key))
    const b = pt.map((s) => metricOf(s, m.key))
    diff[m.key] = { median: median(a) - median(b), p95: p95(a) - p95(b), medianCi95: bootstrapMedianDiff(a, b) }
  }
  let cpuOut: CaseResult['cpu']
  if (cpu.available && pgids.gateway && pgids.passthrough) {
    const byProcessMs = Object.fromEntries(Object.keys(pgids).map((k) => [k, cpu.delta(cpuBefore[k]!, cpuAfter[k]!)]))
    const per = (k: string) => cpu.total(byProcessMs[k]!) / Math.max(1, streams.get(k) ?? 0)
    const perStreamMs = { gateway: r3(per('gateway')), passthrough: r3(per('passthrough')) }
    const chunks = median(gw.map((s) => s.textEvents))
    const diffMs = per('gateway') - per('passthrough')
    cpuOut = {
      perStreamMs,
      diffPerStreamMs: r3(diffMs),
      diffPerChunkUs: r3((diffMs / chunks) * 1000),
      emulatorMs: r3(cpu.total(byProcessMs.emulator ?? {})),
      byProcessMs,
    }
  }
  return {
    runtime,
    provider,
    case: def.name,
    scenario: def.tag,
    concurrency: def.concurrency,
    warmup: def.warmup,
    requested: def.n,
    truncatedByBudget: truncated,
    seconds: r3((performance.now() - began) / 1000),
    targets: targetsOut,
    diff,
    cpu: cpuOut,
  }
}

/** Fills `upstreamMs` from the emulator's request log (matched by the unique prompt), then clears the log. */
async function readEmulatorLog(promptOf: Map<StreamSample, string>): Promise<void> {
  if (!emulator) return
  try {
    const res = await fetch(`${emulator.url}/__emulator/requests`, { signal: AbortSignal.timeout(5000) })
    const log = (await res.json()) as { prompt: string | null; startedAt: number; finishedAt: number | null }[]
    const byPrompt = new Map(log.filter((e) => e.prompt && e.finishedAt).map((e) => [e.prompt!, e.finishedAt! - e.startedAt]))
    for (const [s, prompt] of promptOf) {
      const ms = byPrompt.get(prompt)
      if (ms !== undefined) upstreamMs.set(s, ms)
    }
    await (await fetch(`${emulator.url}/__emulator/requests`, { method: 'DELETE', signal: AbortSignal.timeout(5000) })).arrayBuffer()
  } catch {
    /* the upstream column stays empty */
  }
}

const r3 = (x: number) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x)

// ---------------------------------------------------------------------------------------------
// Output.

function fmt(x: number, unit: string): string {
  if (!Number.isFinite(x)) return '–'
  if (unit === '/s') return x >= 1000 ? `${Math.round(x)}` : x.toFixed(1)
  if (unit === 'µs') return x.toFixed(1)
  return Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(2)
}
const signed = (x: number, unit: string) => (Number.isFinite(x) && x > 0 ? '+' : '') + fmt(x, unit)

function printCase(r: CaseResult): void {
  const cols = Object.values(r.targets)
  const title = `${r.runtime} · ${r.provider} · ${r.case} ${r.scenario}${r.concurrency > 1 ? ` · concurrency ${r.concurrency}` : ''}`
  console.log(`\n${title}`)
  const counts = cols.map((c) => `${c.label} n=${c.n}${c.failures ? ` FAILED=${c.failures}` : ''} (events ${c.textEventsMedian}, reads ${c.readsMedian})`).join('; ')
  console.log(`  ${counts}${r.truncatedByBudget ? '  [cut short by the time budget]' : ''}  ${r.seconds.toFixed(1)} s`)
  const head = ['metric', ...cols.flatMap((c) => [`${c.label} med`, 'p95']), 'gw−pt med [95% CI]', 'gw−pt p95']
  const rows: string[][] = []
  for (const m of METRICS) {
    if (m.burstOnly && r.case !== 'burst') continue
    if (m.key === 'rate' && r.case === 'burst') continue
    const d = r.diff[m.key]
    rows.push([
      `${m.key} (${m.unit})`,
      ...cols.flatMap((c) => [fmt(c.stats[m.key].median, m.unit), fmt(c.stats[m.key].p95, m.unit)]),
      `${signed(d.median, m.unit)} [${fmt(d.medianCi95[0], m.unit)}, ${fmt(d.medianCi95[1], m.unit)}]`,
      signed(d.p95, m.unit),
    ])
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: string[]) => '  ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  console.log(line(head))
  for (const row of rows) console.log(line(row))
  if (r.cpu) {
    console.log(
      `  server CPU per stream (warm-ups included): gateway ${r.cpu.perStreamMs.gateway!.toFixed(1)} ms, pass-through ${r.cpu.perStreamMs.passthrough!.toFixed(1)} ms` +
        ` → gateway's own ${signed(r.cpu.diffPerStreamMs, 'ms')} ms per stream, ${signed(r.cpu.diffPerChunkUs, 'µs')} µs per chunk`,
    )
  }
  for (const c of cols) for (const f of c.failureSamples) console.log(`  ! ${c.label}: ${f}`)
}

function printSummary(results: CaseResult[]): void {
  console.log('\nSummary: the gateway\'s own cost (gateway − pass-through, medians; 95% bootstrap interval)')
  for (const r of results) {
    const d = r.diff
    const failures = Object.values(r.targets).reduce((n, t) => n + t.failures, 0)
    const what =
      r.case === 'burst'
        ? `per chunk ${signed(d.perEventUs.median, 'µs')} µs [${fmt(d.perEventUs.medianCi95[0], 'µs')}, ${fmt(d.perEventUs.medianCi95[1], 'µs')}], ` +
          `first text ${signed(d.ttft.median, 'ms')} ms, total ${signed(d.total.median, 'ms')} ms ` +
          `(${fmt(r.targets.gateway!.stats.rate.median, '/s')} vs ${fmt(r.targets.passthrough!.stats.rate.median, '/s')} chunks/s)`
        : `first text ${signed(d.ttft.median, 'ms')} ms [${fmt(d.ttft.medianCi95[0], 'ms')}, ${fmt(d.ttft.medianCi95[1], 'ms')}], ` +
          `total ${signed(d.total.median, 'ms')} ms [${fmt(d.total.medianCi95[0], 'ms')}, ${fmt(d.total.medianCi95[1], 'ms')}], p95 first text ${signed(d.ttft.p95, 'ms')} ms`
    const cpuText = r.cpu ? `; CPU ${signed(r.cpu.diffPerStreamMs, 'ms')} ms/stream (${signed(r.cpu.diffPerChunkUs, 'µs')} µs/chunk)` : ''
    console.log(`  ${`${r.runtime} ${r.provider} ${r.case}`.padEnd(28)} ${what}${cpuText}${failures ? `  FAILED STREAMS: ${failures}` : ''}`)
  }
}

function version(file: string, args: string[]): string {
  try {
    return execFileSync(join(ROOT, 'node_modules/.bin', file), args, { encoding: 'utf8', timeout: 15_000, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' } }).trim().split('\n').pop()!
  } catch {
    return 'unknown'
  }
}
function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim() !== ''
    return dirty ? `${head} (src/ modified)` : head
  } catch {
    return 'unknown'
  }
}

// ---------------------------------------------------------------------------------------------
// Main.

const results: CaseResult[] = []
const problems: string[] = []
let exitCode = 0
try {
  console.log(`bench: runtimes ${cfg.runtimes.join(', ')}; providers ${cfg.providers.join(', ')}; ` +
    `steady ${tagFor('steady-seq', 'openai')} ${cfg.warmup}+${cfg.seq} sequential, ${cfg.concN} at concurrency ${cfg.conc}; ` +
    `burst delay=0 chunks=${cfg.burstChunks} ${cfg.burstWarmup}+${cfg.burstN}; budget ${cfg.budgetMs / 1000} s`)
  emulator = await startEmulatorProcess()
  console.log(`emulator ${emulator.url} (pid ${emulator.pid})`)
  for (const [ri, runtime] of cfg.runtimes.entries()) {
    if (interrupted) break
    if (overBudget()) {
      problems.push(`runtime ${runtime} skipped: the time budget was spent`)
      continue
    }
    const t0 = performance.now()
    let startError: unknown
    // A dev server that fails to come up once (seen rarely with wrangler) gets one more try.
    for (let attempt = 1; attempt <= 2 && !gateway; attempt++) {
      const [gw, pt] = await Promise.allSettled([
        startGateway({ runtime, upstreamUrl: emulator.url, readyTimeoutMs: 90_000 }),
        startPassthrough(runtime, emulator.url),
      ])
      if (gw.status === 'fulfilled' && pt.status === 'fulfilled') {
        gateway = gw.value
        passthrough = pt.value
        break
      }
      // Stop whichever one did start before trying again.
      await Promise.allSettled([gw.status === 'fulfilled' ? gw.value.stop() : undefined, pt.status === 'fulfilled' ? pt.value.stop() : undefined])
      startError = gw.status === 'rejected' ? gw.reason : pt.status === 'rejected' ? pt.reason : undefined
      console.error(`! ${runtime} did not start (attempt ${attempt}): ${startError instanceof Error ? startError.message : String(startError)}`)
    }
    if (!gateway || !passthrough) {
      problems.push(`runtime ${runtime} skipped: ${startError instanceof Error ? startError.message.split('\n')[0] : String(startError)}`)
      exitCode = 1
      continue
    }
    console.log(`\n=== ${runtime}: gateway ${gateway.url} (pid ${gateway.pid}), pass-through ${passthrough.url} (pid ${passthrough.pid}), ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    const tgs = [makeTarget('gateway', 'gateway', gateway.url), makeTarget('passthrough', 'passthrough', passthrough.url)]
    // The emulator alone does not depend on the runtime: measured once, for context.
    if (cfg.direct && ri === 0) tgs.push(makeTarget('direct', 'direct', emulator.url))
    targets.push(...tgs)
    for (const provider of cfg.providers) {
      const defs: CaseDef[] = [
        { name: 'steady-seq', tag: tagFor('steady-seq', provider), warmup: cfg.warmup, n: cfg.seq, concurrency: 1 },
        ...(cfg.concN > 0 ? [{ name: 'steady-conc' as const, tag: tagFor('steady-conc', provider), warmup: cfg.conc, n: cfg.concN, concurrency: cfg.conc }] : []),
        ...(cfg.burstN > 0 && cfg.burstChunks > 0 ? [{ name: 'burst' as const, tag: tagFor('burst', provider), warmup: cfg.burstWarmup, n: cfg.burstN, concurrency: 1 }] : []),
      ]
      for (const def of defs) {
        if (interrupted) break
        if (overBudget()) {
          problems.push(`${runtime} ${provider} ${def.name} skipped: the time budget was spent`)
          continue
        }
        // The concurrent case compares gateway and pass-through only (the direct line is context).
        const pgids = { gateway: gateway.pid, passthrough: passthrough.pid, emulator: emulator.pid }
        const r = await runCase(runtime, provider, def, def.concurrency > 1 ? tgs.filter((t) => t.kind !== 'direct') : tgs, pgids)
        if (interrupted) break // a case cut by Ctrl-C is neither printed nor saved
        results.push(r)
        printCase(r)
      }
    }
    for (const t of tgs) t.agent.destroy()
    await Promise.allSettled([gateway.stop(), passthrough.stop()])
    gateway = passthrough = undefined
  }
  if (!interrupted) {
    printSummary(results)
    const failed = results.reduce((n, r) => n + Object.values(r.targets).reduce((m, t) => m + t.failures, 0), 0)
    if (failed > 0) {
      problems.push(`${failed} stream(s) failed the correctness check (see FAILED above)`)
      exitCode = 1
    }
    for (const p of problems) console.log(`! ${p}`)
    const out = {
      meta: {
        date: new Date().toISOString(),
        commit: gitCommit(),
        node: process.version,
        wrangler: version('wrangler', ['--version']),
        bun: cfg.runtimes.includes('bun') ? version('bun', ['--version']) : undefined,
        cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
        memoryGb: Math.round(totalmem() / 2 ** 30),
        seconds: r3((performance.now() - startedAt) / 1000),
        config: cfg,
        notes: [
          'times in ms measured on the client (performance.now) over 127.0.0.1',
          'diff = gateway − passthrough on the same runtime: the gateway\'s own cost',
          'direct = the emulator without any server in between (measured with the first runtime only)',
          'rate = (text events − 1) / (total − ttft); perEventUs = its inverse in µs',
        ],
        problems,
      },
      results,
    }
    mkdirSync(join(opt.out, '..'), { recursive: true })
    writeFileSync(opt.out, `${JSON.stringify(out, null, 2)}\n`)
    console.log(`\nwrote ${opt.out} (${(out.meta.seconds as number).toFixed(1)} s in all)`)
  }
} catch (error) {
  exitCode = 1
  console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
} finally {
  if (!interrupted) {
    await stopEverything()
    process.exit(exitCode)
  }
}
