/**
 * `npm run bench`: the gateway side by side with its peers, in one run, on the same work (see
 * bench/README.md). Starts the provider emulator, then per runtime (wrangler dev, Bun) every
 * contender (direct, bare pass-through, lean Hono pass-through, the gateway, Hono + AI SDK, Portkey),
 * and streams the same answers through each, in rounds with the targets interleaved: steady
 * (one chunk per read) at 1 and 50 concurrent streams, burst (CPU per chunk), saturation (chunks/s).
 * Each case runs on every API selected (`--apis`: the gateway's POST /api/stream/chat, its
 * POST /v1/chat/completions and POST /v1/responses, each against the contenders that answer it, see
 * lib/apis.ts). On Bun (`--variant-runtimes`) the gateway also runs with a local redis-server
 * (REDIS_URL) and with a token budget (`--variants`), each its own row in the same rounds.
 * Then memory per open stream with 1,000 streams on Bun and Node, and the Worker bundle. Every
 * stream is checked byte for byte. Writes bench/results/latest.json and latest.md (and the README's
 * Performance section with --readme). Stops every process it started, also on failure and Ctrl-C.
 *
 *   npm run bench [-- --quick --runtimes workers,bun --providers openai,gemini --apis api,v1,responses --rounds 5 --no-memory --no-bundle --readme]
 */
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { APIS, answers, type ApiId } from './lib/apis.ts'
import { measureBundle, type BundleResult } from './lib/bundle.ts'
import { caseSpecs } from './lib/cases.ts'
import type { Target } from './lib/client.ts'
import {
  PEERS,
  ensurePeerInstalled,
  startContender,
  targetFor,
  unsupported,
  type ContenderId,
} from './lib/contenders.ts'
import { measureMemory, type MemoryResult } from './lib/memory.ts'
import { readOptions, usage } from './lib/options.ts'
import { startEmulatorProcess, stopAll, type Managed, type Runtime } from './lib/procs.ts'
import { writeResults } from './lib/report.ts'
import type { CaseOut, MemoryOut } from './lib/results.ts'
import { runRounds } from './lib/rounds.ts'
import { r3, summarizeCase } from './lib/summary.ts'
import {
  DEFAULT_VARIANT_RUNTIMES,
  VARIANT_RUNTIMES,
  type VariantId,
  isGatewayRow,
  startVariants,
  variantLabel,
} from './lib/variants.ts'

const { opt, cfg, gatewayVars } = readOptions()
const { quick, rounds } = cfg
if (opt.help) {
  console.log(usage)
  process.exit(0)
}
if (opt['report-only']) {
  const saved = JSON.parse(readFileSync(`${opt.out}.json`, 'utf8')) as Parameters<typeof writeResults>[1]
  console.log(`rewrote ${writeResults(opt.out, saved, opt.readme).join(', ')}`)
  process.exit(0)
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

/** Starts a contender (a gateway variant: `label` and its extra bindings); a failure is a problem, not fatal. */
async function start(
  id: ContenderId,
  runtime: Runtime,
  upstream: string,
  label: string = id,
  vars: Record<string, string> = {},
): Promise<Managed | undefined> {
  const why = unsupported(id, runtime)
  if (why) {
    problems.push(`${label} on ${runtime}: not run: ${why}`)
    return undefined
  }
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      const m = await startContender(id, runtime, upstream, { ...gatewayVars, ...vars })
      running.add(m)
      return m
    } catch (error) {
      const msg = error instanceof Error ? error.message.split('\n').slice(0, 3).join(' ') : String(error)
      if (attempt === 2) problems.push(`${label} on ${runtime}: did not start: ${msg}`)
    }
  }
  return undefined
}

/** The gateway variants on `runtime` (lib/variants.ts), with the redis-server the `redis` one needs. */
async function variantsOn(runtime: Runtime): Promise<{ label: string; m: Managed }[]> {
  if (!cfg.contenders.includes('gateway')) return []
  const on = (v: VariantId) => (cfg.variantRuntimes ?? DEFAULT_VARIANT_RUNTIMES[v]).includes(runtime)
  return startVariants(
    cfg.variants.filter((v) => VARIANT_RUNTIMES[v].includes(runtime) && on(v)),
    {
      startGateway: (label, vars) => start('gateway', runtime, emulator!.url, label, vars),
      onRedis: (redis) => {
        running.add(redis)
        say(`redis-server ${redis.url} (pid ${redis.pid})`)
      },
      onProblem: (p) => problems.push(`${p} (${runtime})`),
    },
  )
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
  const [servers, variants] = await Promise.all([
    Promise.all(ids.map((id) => start(id, runtime, emulator!.url))),
    variantsOn(runtime),
  ])
  // [label, kind, server]: a variant is the gateway under its own label, right after the plain one.
  const all: (readonly [string, ContenderId, Managed | undefined])[] = [
    ...ids.map((id, i) => [id, id, servers[i]] as const),
    ...variants.map(({ label, m }) => [label, 'gateway' as const, m] as const),
  ]
  const live = all.filter((e): e is readonly [string, ContenderId, Managed] => e[2] !== undefined)
  say(
    `\n=== ${runtime}: ${live.map(([label, , m]) => `${label} ${m.url} (pid ${m.pid})`).join(', ')}; ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  )
  const byApi = new Map<ApiId, Target[]>()
  for (const api of cfg.apis) {
    const tgs = [
      ...(answers(api, 'direct') ? [targetFor('direct', emulator!.url, emulator!.url, api)] : []),
      ...live
        .filter(([, kind]) => answers(api, kind))
        .map(([label, kind, m]) => ({ ...targetFor(kind, m.url, emulator!.url, api), label })),
    ]
    byApi.set(api, tgs)
    targets.push(...tgs)
  }
  const pgids = Object.fromEntries(live.map(([label, , m]) => [label, m.pid]))
  for (const provider of cfg.providers) {
    for (const [api, tgs] of byApi) {
      const at = `${runtime} ${provider}${api === 'api' ? '' : ` ${APIS[api].route}`}`
      for (const spec of caseSpecs(provider, { rounds, quick })) {
        if (stop()) {
          problems.push(`${at} ${spec.name}: skipped (time budget spent or interrupted)`)
          continue
        }
        const began = performance.now()
        const res = await runRounds(tgs, { ...spec, pieceTimesFrom: emulator!.url }, pgids, stop)
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
              `${k} ttft ${f.ttftP50.toFixed(2)} ms, cpu ${f.cpuUsPerChunk.toFixed(1)} µs/chunk, ${Math.round(f.chunksPerSec)}/s, gap p99 ${f.addedGapP99?.toFixed(2)} ms${f.failures ? ` FAILED ${f.failures}: ${f.failureSamples[0]}` : ''}`,
          )
          .join(' | ')
        say(`${at} ${spec.name} (${c.seconds.toFixed(1)} s): ${line}`)
      }
    }
  }
  for (const tgs of byApi.values()) for (const t of tgs) t.agent.destroy()
  await Promise.all(live.map(([, , m]) => stopOne(m)))
  // The redis-server last, after the gateways that use it.
  await Promise.all([...running].filter((m) => m.name === 'redis-server').map(stopOne))
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
    `bench: runtimes ${cfg.runtimes.join(', ')}; providers ${cfg.providers.join(', ')}; APIs ${cfg.apis.map((api) => APIS[api].route).join(', ')}; contenders ${cfg.contenders.join(', ')}; gateway variants ${cfg.variants.map(variantLabel).join(', ') || 'none'} on ${cfg.variantRuntimes?.join(', ') ?? 'their default runtimes'}; ${rounds} rounds; memory ${cfg.memoryRuntimes.join(', ') || 'off'} × ${cfg.memoryStreams}; budget ${cfg.budgetMs / 1000} s`,
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
    if (cases.some((c) => Object.entries(c.targets).some(([label, t]) => isGatewayRow(label) && t.failures)))
      exitCode = 1
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
