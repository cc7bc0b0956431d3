/**
 * `npm run bench`: the gateway side by side with its peers, in one run, on the same work (see
 * bench/README.md). Starts the provider emulator, then per runtime (wrangler dev, Bun) every
 * contender (direct, bare pass-through, lean Hono pass-through, the gateway, Hono + AI SDK, Portkey),
 * and streams the same answers through each, in rounds with the targets interleaved: steady
 * (one chunk per read) at 1 and 50 concurrent streams, burst (CPU per chunk), saturation (chunks/s).
 * Each case runs on every API selected (`--apis`: the gateway's POST /api/stream/chat and its
 * POST /v1/chat/completions, each against the contenders that answer it, see lib/apis.ts).
 * Then memory per open stream with 1,000 streams on Bun and Node, and the Worker bundle. Every
 * stream is checked byte for byte. Writes bench/results/latest.json and latest.md (and the README's
 * Performance section with --readme). Stops every process it started, also on failure and Ctrl-C.
 *
 *   npm run bench [-- --quick --runtimes workers,bun --providers openai,gemini --apis api,v1 --rounds 5 --no-memory --no-bundle --readme]
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { ROOT } from '../test/support/gateway.ts'
import { API_IDS, APIS, answers, type ApiId, type Provider } from './lib/apis.ts'
import { measureBundle, type BundleResult } from './lib/bundle.ts'
import { caseSpecs } from './lib/cases.ts'
import type { Target } from './lib/client.ts'
import {
  CONTENDERS,
  PEERS,
  ensurePeerInstalled,
  startContender,
  targetFor,
  unsupported,
  type ContenderId,
} from './lib/contenders.ts'
import { measureMemory, type MemoryResult } from './lib/memory.ts'
import { startEmulatorProcess, stopAll, type Managed, type Runtime } from './lib/procs.ts'
import { writeResults } from './lib/report.ts'
import type { CaseOut, MemoryOut } from './lib/results.ts'
import { runRounds } from './lib/rounds.ts'
import { r3, summarizeCase } from './lib/summary.ts'

const { values: opt } = parseArgs({
  options: {
    runtimes: { type: 'string', default: 'workers,bun' },
    providers: { type: 'string', default: 'openai,gemini' },
    apis: { type: 'string', default: API_IDS.join(',') },
    contenders: { type: 'string', default: CONTENDERS.join(',') },
    rounds: { type: 'string', default: '5' },
    'memory-runtimes': { type: 'string', default: 'bun,node' },
    'memory-streams': { type: 'string', default: '1000' },
    'memory-rounds': { type: 'string', default: '2' },
    'no-memory': { type: 'boolean', default: false },
    'no-bundle': { type: 'boolean', default: false },
    budget: { type: 'string', default: '780' },
    out: { type: 'string', default: join(ROOT, 'bench/results/latest') },
    readme: { type: 'boolean', default: false },
    'report-only': { type: 'boolean', default: false },
    'gateway-vars': { type: 'string', default: '' },
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
if (opt.help) {
  console.log(`usage: npm run bench [-- --quick --runtimes workers,bun --providers openai,gemini --apis ${API_IDS.join(',')}
                        --contenders ${CONTENDERS.join(',')} --rounds 5
                        --memory-runtimes bun,node --memory-streams 1000 --memory-rounds 2 --no-memory --no-bundle
                        --budget 780 --out bench/results/latest --readme
                        --gateway-vars RESUMABLE=off,… (bindings for the gateway)
                        --report-only (rewrite <out>.md and, with --readme, the README from <out>.json)]`)
  process.exit(0)
}
if (opt['report-only']) {
  const saved = JSON.parse(readFileSync(`${opt.out}.json`, 'utf8')) as Parameters<typeof writeResults>[1]
  console.log(`rewrote ${writeResults(opt.out, saved, opt.readme).join(', ')}`)
  process.exit(0)
}
/** `--gateway-vars A=1,B=2`: bindings the gateway is started with (e.g. RESUMABLE=off: the direct path). */
const gatewayVars: Record<string, string> = Object.fromEntries(
  opt['gateway-vars']
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
)
const list = <T extends string>(s: string, allowed: readonly T[], what: string): T[] => {
  const xs = s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
  for (const x of xs)
    if (!allowed.includes(x as T)) console.error(`unknown ${what} ${x} (${allowed.join(', ')})`), process.exit(2)
  return xs as T[]
}
const quick = opt.quick
const rounds = quick ? 2 : Math.max(1, Number(opt.rounds) || 5)
const cfg = {
  runtimes: list<Runtime>(opt.runtimes, ['workers', 'bun', 'node'], 'runtime'),
  providers: list<Provider>(opt.providers, ['openai', 'gemini'], 'provider'),
  apis: list<ApiId>(opt.apis, API_IDS, 'API'),
  contenders: list<ContenderId>(opt.contenders, CONTENDERS, 'contender'),
  memoryRuntimes: opt['no-memory'] ? [] : list<Runtime>(opt['memory-runtimes'], ['bun', 'node'], 'memory runtime'),
  memoryStreams: quick ? 200 : Math.max(1, Number(opt['memory-streams']) || 1000),
  memoryRounds: quick ? 1 : Math.max(1, Number(opt['memory-rounds']) || 2),
  bundle: !opt['no-bundle'],
  budgetMs: Number(opt.budget) * 1000,
  rounds,
}

// ---------------------------------------------------------------------------------------------
// Processes, and stopping them whatever happens.
let emulator: Managed | undefined
const running = new Set<Managed>()
const targets: Target[] = []
async function stopEverything(): Promise<void> {
  for (const t of targets) t.agent.destroy()
  await Promise.allSettled([...running].map((m) => m.stop()))
  await emulator?.stop()
  await stopAll()
}
let interrupted = false
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (interrupted) return
    interrupted = true
    console.error(`\n${signal}: stopping every process the bench started (no results are written)...`)
    void stopEverything().finally(() => process.exit(130))
  })
}
const startedAt = performance.now()
const overBudget = () => performance.now() - startedAt > cfg.budgetMs
const stop = () => interrupted || overBudget()
const problems: string[] = []
const say = (s: string) => console.log(s)

async function start(id: ContenderId, runtime: Runtime, upstream: string): Promise<Managed | undefined> {
  const why = unsupported(id, runtime)
  if (why) {
    problems.push(`${id} on ${runtime}: not run: ${why}`)
    return undefined
  }
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      const m = await startContender(id, runtime, upstream, gatewayVars)
      running.add(m)
      return m
    } catch (error) {
      const msg = error instanceof Error ? error.message.split('\n').slice(0, 3).join(' ') : String(error)
      if (attempt === 2) problems.push(`${id} on ${runtime}: did not start: ${msg}`)
    }
  }
  return undefined
}
async function stopOne(m: Managed | undefined): Promise<void> {
  if (!m) return
  await m.stop()
  running.delete(m)
}

async function streamingCases(runtime: Runtime, out: CaseOut[]): Promise<void> {
  const t0 = performance.now()
  // One server per contender answers every API it has rows for.
  const ids = cfg.contenders.filter((id) => cfg.apis.some((api) => answers(api, id)))
  const servers = await Promise.all(ids.map((id) => start(id, runtime, emulator!.url)))
  const live = ids
    .map((id, i) => [id, servers[i]] as const)
    .filter((e): e is readonly [ContenderId, Managed] => e[1] !== undefined)
  say(
    `\n=== ${runtime}: ${live.map(([id, m]) => `${id} ${m.url} (pid ${m.pid})`).join(', ')}; ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  )
  const byApi = new Map<ApiId, Target[]>()
  for (const api of cfg.apis) {
    const tgs = [
      ...(answers(api, 'direct') ? [targetFor('direct', emulator!.url, emulator!.url, api)] : []),
      ...live.filter(([id]) => answers(api, id)).map(([id, m]) => targetFor(id, m.url, emulator!.url, api)),
    ]
    byApi.set(api, tgs)
    targets.push(...tgs)
  }
  const pgids = Object.fromEntries(live.map(([id, m]) => [id, m.pid]))
  for (const provider of cfg.providers) {
    for (const [api, tgs] of byApi) {
      const at = `${runtime} ${provider}${api === 'api' ? '' : ` ${APIS[api].route}`}`
      for (const spec of caseSpecs(provider, { rounds, quick })) {
        if (stop()) {
          problems.push(`${at} ${spec.name}: skipped (time budget spent or interrupted)`)
          continue
        }
        const began = performance.now()
        const res = await runRounds(tgs, spec, pgids, stop)
        const warm = Object.fromEntries(
          Object.entries(res.warmupFailures).map(([k, v]) => [k, v.map((s) => `warm-up: ${s.failure}`)]),
        )
        const figures = summarizeCase(res.rounds, { chunks: spec.chunks }, warm)
        const c: CaseOut = {
          runtime,
          provider,
          api,
          case: spec.name,
          tag: spec.tag,
          chunks: spec.chunks,
          rounds: spec.rounds,
          n: spec.n,
          concurrency: spec.concurrency,
          seconds: r3((performance.now() - began) / 1000),
          targets: figures,
        }
        out.push(c)
        const line = Object.entries(figures)
          .map(
            ([k, f]) =>
              `${k} ttft ${f.ttftP50.toFixed(2)} ms, cpu ${f.cpuUsPerChunk.toFixed(1)} µs/chunk, ${Math.round(f.chunksPerSec)}/s${f.failures ? ` FAILED ${f.failures}: ${f.failureSamples[0]}` : ''}`,
          )
          .join(' | ')
        say(`${at} ${spec.name} (${c.seconds.toFixed(1)} s): ${line}`)
      }
    }
  }
  for (const tgs of byApi.values()) for (const t of tgs) t.agent.destroy()
  await Promise.all(live.map(([, m]) => stopOne(m)))
}

/** One contender's memory per open stream: `memoryRounds` rounds, each on a freshly started server. */
async function memoryCase(runtime: Runtime, id: ContenderId): Promise<MemoryOut> {
  const results: MemoryResult[] = []
  for (let round = 0; round < cfg.memoryRounds && !stop(); round++) {
    const m = await start(id, runtime, emulator!.url)
    if (!m) return { runtime, contender: id, error: problems.at(-1) }
    const t = targetFor(id, m.url, emulator!.url, 'api', cfg.memoryStreams + 50)
    targets.push(t)
    try {
      results.push(
        await measureMemory(t, m.pid, {
          streams: cfg.memoryStreams,
          provider: 'openai',
          tag: '[emu ttft=0 delay=2000 chunks=4]',
          openTimeoutMs: 30_000,
        }),
      )
    } finally {
      t.agent.destroy()
      await stopOne(m)
    }
  }
  const sorted = [...results].sort((a, b) => a.perStreamKb - b.perStreamKb)
  const mid = sorted[Math.floor((sorted.length - 1) / 2)]!
  const r: MemoryResult = {
    ...mid,
    perStreamKb: sorted.length % 2 ? mid.perStreamKb : (mid.perStreamKb + sorted[sorted.length / 2]!.perStreamKb) / 2,
    openAtSample: Math.min(...results.map((x) => x.openAtSample)),
    failures: results.reduce((n, x) => n + x.failures, 0),
    lostBytes: results.reduce((n, x) => n + x.lostBytes, 0),
    failureSamples: [...new Set(results.flatMap((x) => x.failureSamples))].slice(0, 3),
    seconds: results.reduce((n, x) => n + x.seconds, 0),
  }
  say(
    `memory ${runtime} ${id}: ${r.perStreamKb.toFixed(1)} KB/stream (rounds ${results.map((x) => x.perStreamKb.toFixed(1)).join(', ')}; ${r.openAtSample}/${r.streams} open at once, ${r.failures} failed${r.failures ? `: ${r.failureSamples[0]}` : ''}) ${r.seconds.toFixed(1)} s`,
  )
  return { runtime, contender: id, ...r, rounds: results.map((x) => r3(x.perStreamKb)) }
}

let exitCode = 0
try {
  for (const peer of PEERS) if (cfg.contenders.includes(peer)) ensurePeerInstalled(peer)
  say(
    `bench: runtimes ${cfg.runtimes.join(', ')}; providers ${cfg.providers.join(', ')}; APIs ${cfg.apis.map((api) => APIS[api].route).join(', ')}; contenders ${cfg.contenders.join(', ')}; ${rounds} rounds; memory ${cfg.memoryRuntimes.join(', ') || 'off'} × ${cfg.memoryStreams}; budget ${cfg.budgetMs / 1000} s`,
  )
  const bundles: (BundleResult & { name: string })[] = []
  // The bundle first: it is quick and does not depend on the servers.
  if (cfg.bundle && !interrupted) {
    for (const [name, config] of [
      ['gateway', 'wrangler.jsonc'],
      ['passthrough', 'bench/passthrough/wrangler.toml'],
      ['lean', 'bench/peers/lean/wrangler.toml'],
      ['ai-sdk', 'bench/peers/ai-sdk/wrangler.toml'],
      ['portkey', 'bench/peers/portkey/wrangler.toml'],
    ] as const) {
      if (!cfg.contenders.includes(name)) continue
      const b = { name, ...(await measureBundle(config, quick ? 3 : 7)) }
      bundles.push(b)
      say(
        `bundle ${name}: ${b.ok ? `${b.gzipKb!.toFixed(1)} KB gzip, ${b.rawKb!.toFixed(0)} KB raw, start-up ${b.startupMs?.toFixed(1)} ms` : `failed: ${b.error}`}`,
      )
    }
  }
  emulator = await startEmulatorProcess()
  say(`emulator ${emulator.url} (pid ${emulator.pid})`)
  const cases: CaseOut[] = []
  for (const runtime of cfg.runtimes) if (!stop()) await streamingCases(runtime, cases)
  const memory: MemoryOut[] = []
  for (const runtime of cfg.memoryRuntimes) {
    for (const id of cfg.contenders) {
      if (stop()) {
        problems.push(`memory ${runtime} ${id}: skipped (time budget spent or interrupted)`)
        continue
      }
      memory.push(await memoryCase(runtime, id))
    }
  }
  if (!interrupted) {
    const failed = cases.reduce((n, c) => n + Object.values(c.targets).reduce((m, t) => m + t.failures, 0), 0)
    if (failed > 0)
      problems.push(`${failed} stream(s) failed the byte-for-byte check in the streaming cases (see the table)`)
    const files = writeResults(
      opt.out,
      { cases, memory, bundles, problems, config: cfg, seconds: (performance.now() - startedAt) / 1000 },
      opt.readme,
    )
    for (const p of problems) say(`! ${p}`)
    say(`\nwrote ${files.join(', ')} (${((performance.now() - startedAt) / 1000).toFixed(0)} s in all)`)
    if (cases.some((c) => c.targets.gateway?.failures)) exitCode = 1
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
