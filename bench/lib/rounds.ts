/**
 * Rounds of measured batches: in each round every target runs one batch (`n` streams, `concurrency`
 * at a time) in a rotating order, with the server's CPU read before and after its own batch, so
 * targets are interleaved and each batch's CPU is its server's alone. Every stream is checked, and
 * after its batch (outside the CPU reading) each chunk is timed against the emulator's write (lib/gap.ts).
 *
 * @example
 * const rounds = await runRounds(targets, { rounds: 5, n: 4, concurrency: 1, provider: 'openai', tag: '[emu delay=2]' }, pgids)
 */
import { performance } from 'node:perf_hooks'
import { expectedAnswer } from '../../emulator/answer.ts'
import type { Provider } from './apis.ts'
import { measureStream, type StreamSample, type Target } from './client.ts'
import * as cpu from './cpu.ts'
import { timeChunks } from './gap.ts'

export interface RoundSpec {
  name: string
  rounds: number
  /** Streams per target per round. */
  n: number
  concurrency: number
  provider: Provider
  /** The emulator tag that sets the answer's pace, e.g. `[emu ttft=0 delay=2 chunks=50]`. */
  tag: string
  /** Unmeasured streams per target before the first round. */
  warmup: number
  timeoutMs?: number
  /** The emulator (run with `--piece-times`) whose write times time each chunk after the batch; none: not timed. */
  pieceTimesFrom?: string
}

export interface Batch {
  samples: StreamSample[]
  /** Server CPU (ms) during the batch; NaN without /proc or for `direct`. */
  cpuMs: number
  wallMs: number
}

let prompts = 0
/** A unique prompt (each stream is checked on its own) and the answer the emulator will stream for it. */
export function nextPrompt(provider: Provider, name: string, tag: string): { prompt: string; expected: string } {
  const prompt = `Bench ${name} #${++prompts} ${tag}`
  return { prompt, expected: expectedAnswer(prompt, { provider }) }
}

/** `n` streams, `concurrency` at a time, on one target. */
export async function runBatch(
  t: Target,
  spec: RoundSpec,
  n: number,
  concurrency: number,
  pgid: number | undefined,
): Promise<Batch> {
  const before = pgid ? cpu.total(cpu.groupCpu(pgid)) : NaN
  const samples: StreamSample[] = []
  const began = performance.now()
  let next = 0
  const worker = async () => {
    while (next < n) {
      next++
      const { prompt, expected } = nextPrompt(spec.provider, spec.name, spec.tag)
      samples.push(await measureStream(t, spec.provider, prompt, expected, { timeoutMs: spec.timeoutMs }))
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker))
  const wallMs = performance.now() - began
  const after = pgid ? cpu.total(cpu.groupCpu(pgid)) : NaN
  if (spec.pieceTimesFrom) await timeChunks(samples, spec.pieceTimesFrom)
  return { samples, cpuMs: after - before, wallMs }
}

/** Warm-ups (checked, reported if they fail), then `rounds` rounds; the result is by target label. */
export async function runRounds(
  targets: Target[],
  spec: RoundSpec,
  pgids: Record<string, number | undefined>,
  stop: () => boolean,
): Promise<{ rounds: Record<string, Batch[]>; warmupFailures: Record<string, StreamSample[]> }> {
  const rounds: Record<string, Batch[]> = Object.fromEntries(targets.map((t) => [t.label, []]))
  const warmupFailures: Record<string, StreamSample[]> = Object.fromEntries(targets.map((t) => [t.label, []]))
  for (const t of targets) {
    if (spec.warmup === 0 || stop()) continue
    const w = await runBatch(t, spec, spec.warmup, Math.min(spec.concurrency, spec.warmup), undefined)
    warmupFailures[t.label]!.push(...w.samples.filter((s) => !s.ok))
  }
  for (let r = 0; r < spec.rounds && !stop(); r++) {
    const order = targets.map((_, k) => targets[(r + k) % targets.length]!)
    for (const t of order) rounds[t.label]!.push(await runBatch(t, spec, spec.n, spec.concurrency, pgids[t.label]))
  }
  return { rounds, warmupFailures }
}
