/**
 * Where the Durable Object path's time goes on Workers: starts this probe's worker under `wrangler dev`
 * (its own process group on a free 127.0.0.1 port, stopped by its PID at the end), then, per
 * concurrency, runs rounds of blocks, one block per arm (arms.ts) with its groups in a rotating order:
 * at c=1 `--block1` requests one after the other, at c=50 one batch of 50 at once. Every answer is
 * checked, and the copy arms' objects must hold all the events afterwards. Prints one table per
 * concurrency (report.ts) and the load average.
 *
 *   npm run bench:durable-hop -- [--rounds1 20] [--block1 10] [--rounds50 10] [--batch 10] [--concurrency 1,50]
 *                                [--observability on|off]
 */
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import * as cpu from '../../lib/cpu.ts'
import { startWranglerDev, stopAll } from '../../lib/procs.ts'
import { EVENTS, GROUPS, failure, type Arm } from './arms.ts'
import { pool, timedGet, type Sample } from './client.ts'
import { table, type ArmResult } from './report.ts'

const { values: opt } = parseArgs({
  options: {
    rounds1: { type: 'string', default: '20' },
    block1: { type: 'string', default: '10' },
    rounds50: { type: 'string', default: '10' },
    batch: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '1,50' },
    'settle-ms': { type: 'string', default: '100' },
    // wrangler dev's local observability (on by default, as under `npm run bench`): every invocation,
    // the object's too, is traced to a collector that writes SQLite on the same workerd.
    observability: { type: 'string', default: 'on' },
  },
})
process.env.X_LOCAL_OBSERVABILITY = opt.observability === 'off' ? 'false' : 'true'
const batch = Number(opt.batch)
const settleMs = Number(opt['settle-ms'])
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const load = () =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')

const server = await startWranglerDev('durable-hop', 'bench/probes/durable-hop/wrangler.jsonc', {})
const agent = pool(64)
const tag = Math.random().toString(36).slice(2, 8)
let next = 0
const newIds = (n: number) => Array.from({ length: n }, () => `${tag}-${next++}`)

/** CPU ms of the wrangler group's workerd processes (the runtime and its dev proxy). */
const workerdCpu = () =>
  Object.entries(cpu.groupCpu(server.pid))
    .filter(([key]) => key.endsWith(':workerd'))
    .reduce((sum, [, ms]) => sum + ms, 0)

/** Polls the object until it holds every copied event; the reason when it does not within the deadline. */
async function copyMissing(id: string): Promise<string | undefined> {
  const deadline = Date.now() + 10_000
  let held = 0
  while (Date.now() < deadline) {
    const sample = await timedGet(agent, server.url, `/copied?id=${id}`)
    held = (JSON.parse(sample.body) as { events: number }).events
    if (held === EVENTS) return undefined
    await sleep(20)
  }
  return `the object holds ${held} of ${EVENTS} copied events`
}

async function runBlock(arm: Arm, ids: string[], concurrency: number, into: ArmResult): Promise<void> {
  const get = (id: string) => timedGet(agent, server.url, arm.path(id, batch))
  const before = workerdCpu()
  let samples: Sample[] = []
  if (concurrency === 1) for (const id of ids) samples.push(await get(id))
  else samples = await Promise.all(ids.map(get))
  await sleep(settleMs) // the copies finish after the client's answer; every block waits the same
  into.cpuPerRequest.push((workerdCpu() - before) / ids.length)
  for (const sample of samples) {
    const why = failure(arm, sample)
    if (why) into.failures.push(why)
    else into.samples.push(sample)
  }
  if (arm.copies) {
    for (const id of ids) {
      const why = await copyMissing(id)
      if (why) into.failures.push(why)
    }
  }
}

async function runConcurrency(concurrency: number, rounds: number, perBlock: number): Promise<Map<string, ArmResult>> {
  const results = new Map<string, ArmResult>()
  for (const arm of GROUPS.flat()) results.set(arm.key, { samples: [], cpuPerRequest: [], failures: [] })
  for (let round = 0; round < rounds; round++) {
    const order = GROUPS.map((_, i) => GROUPS[(i + round) % GROUPS.length]!)
    for (const group of order) {
      let ids: string[] = []
      for (const arm of group) {
        if (arm.ids !== 'again') ids = newIds(perBlock)
        await runBlock(arm, ids, concurrency, results.get(arm.key)!)
      }
    }
  }
  return results
}

try {
  const names = cpu.groupPids(server.pid).map(([pid, name]) => `${pid}:${name}`)
  console.log(`wrangler dev at ${server.url}, group ${server.pid}: ${names.join(', ')}`)
  console.log(`local observability ${opt.observability}; load average at start: ${load()}`)
  const idleBefore = workerdCpu()
  await sleep(2000)
  console.log(`workerd CPU while idle: ${((workerdCpu() - idleBefore) / 2).toFixed(2)} ms per s`)
  const warm = await runConcurrency(1, 1, 5)
  const warmFailures = [...warm.values()].flatMap((r) => r.failures)
  if (warmFailures.length > 0) throw new Error(`warm-up failed: ${warmFailures.join('; ')}`)
  for (const concurrency of opt.concurrency.split(',').map(Number)) {
    const started = performance.now()
    const results =
      concurrency === 1
        ? await runConcurrency(1, Number(opt.rounds1), Number(opt.block1))
        : await runConcurrency(concurrency, Number(opt.rounds50), concurrency)
    const seconds = ((performance.now() - started) / 1000).toFixed(0)
    console.log(`\n${table(results, concurrency)}\n\n(${seconds} s; load average now ${load()})`)
  }
} finally {
  await stopAll()
}
