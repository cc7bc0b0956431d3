/**
 * What resumable streams cost: the same answers through two gateways on the same runtime, one with
 * RESUMABLE on (the default: a Durable Object per stream on Workers, the in-process store on Bun) and
 * one with RESUMABLE=off (the direct path). Reports the median time to the first text event and to
 * the end, and the gateway process group's CPU per text event, for a steady case (100 chunks, 2 ms
 * apart, sequential) and a burst case (2000 chunks, no delay). Every stream is checked against the
 * emulator's expected answer.
 *
 *   node bench/resume-cost.ts [--runtimes workers,bun] [--n 30] [--burst-n 8]
 */
import { parseArgs } from 'node:util'
import { expectedAnswer } from '../emulator/answer.ts'
import { startGateway, type RunningGateway } from '../test/support/gateway.ts'
import type { Provider } from './lib/apis.ts'
import { makeTarget, measureStream, type StreamSample, type Target } from './lib/client.ts'
import * as cpu from './lib/cpu.ts'
import { startEmulatorProcess, stopAll, type Runtime } from './lib/procs.ts'
import { median } from './lib/stats.ts'

const { values: opt } = parseArgs({
  options: {
    runtimes: { type: 'string', default: 'workers,bun' },
    n: { type: 'string', default: '30' },
    'burst-n': { type: 'string', default: '8' },
    provider: { type: 'string', default: 'openai' },
  },
})
const provider = opt.provider as Provider
const runtimes = opt.runtimes.split(',').map((s) => s.trim()) as Runtime[]

interface Case {
  name: string
  tag: string
  n: number
  warmup: number
}
const cases: Case[] = [
  { name: 'steady', tag: '[emu chunks=100 delay=2]', n: Number(opt.n), warmup: 5 },
  { name: 'burst', tag: '[emu chunks=2000 delay=0]', n: Number(opt['burst-n']), warmup: 2 },
]

let counter = 0
async function run(
  target: Target,
  gateway: RunningGateway,
  c: Case,
): Promise<{ samples: StreamSample[]; cpuMs: number }> {
  const one = async () => {
    const prompt = `Cost ${counter++} ${c.tag}`
    const sample = await measureStream(target, provider, prompt, expectedAnswer(prompt, { provider }))
    if (!sample.ok) throw new Error(`${target.label}: ${sample.failure}`)
    return sample
  }
  for (let i = 0; i < c.warmup; i++) await one()
  const before = cpu.total(cpu.groupCpu(gateway.pid))
  const samples: StreamSample[] = []
  for (let i = 0; i < c.n; i++) samples.push(await one())
  return { samples, cpuMs: cpu.total(cpu.groupCpu(gateway.pid)) - before }
}

try {
  const emulator = await startEmulatorProcess()
  for (const runtime of runtimes) {
    const on = await startGateway({ runtime, upstreamUrl: emulator.url, readyTimeoutMs: 90_000 })
    const off = await startGateway({
      runtime,
      upstreamUrl: emulator.url,
      readyTimeoutMs: 90_000,
      vars: { RESUMABLE: 'off' },
    })
    try {
      for (const c of cases) {
        const rows: string[] = []
        for (const [label, gateway] of [
          ['resumable', on],
          ['RESUMABLE=off', off],
        ] as const) {
          const { samples, cpuMs } = await run(makeTarget('gateway', label, gateway.url), gateway, c)
          const events = samples.reduce((sum, s) => sum + s.textEvents, 0)
          rows.push(
            `${runtime.padEnd(8)} ${c.name.padEnd(7)} ${label.padEnd(14)} first text ${median(
              samples.map((s) => s.ttft),
            )
              .toFixed(2)
              .padStart(7)} ms` +
              `  total ${median(samples.map((s) => s.total))
                .toFixed(1)
                .padStart(7)} ms  CPU/text event ${((cpuMs / events) * 1000).toFixed(1).padStart(6)} µs` +
              `  (${samples.length} streams, ${events} events, ${cpuMs.toFixed(0)} ms CPU)`,
          )
        }
        console.log(rows.join('\n'))
      }
    } finally {
      await on.stop()
      await off.stop()
    }
  }
} finally {
  await stopAll()
}
