/**
 * The added gap between chunks: how long each content piece spends inside a contender, beyond what
 * it spends in the floor. The emulator (started with `--piece-times`) records when it wrote each
 * piece, the client when the read that completed each text event arrived, both on the machine's
 * monotonic clock; a piece's delay is its arrival minus its write. A piece is matched by where it
 * ends in the answer text (the first event whose text reaches it), so a contender that merges or
 * splits pieces is still timed per upstream piece. The added gap p50 / p99: per round, the
 * contender's quantile of delays over every piece of its batch minus the floor's (the bare
 * pass-through, same runtime, same round); the median over rounds. A piece held back (until the
 * next one comes, or a buffer fills) adds the hold to its own delay, so it shows even when the gaps
 * between arrivals stay even; a stall of the shared machine that hits one batch moves one round only.
 *
 * @example
 * await timeChunks(batch.samples, emulatorUrl) // after the batch: fills each sample's chunkDelays
 * const { addedGapP99 } = gapFigures(rounds.gateway, rounds.passthrough) // ms over the floor
 */
import { performance } from 'node:perf_hooks'
import { monotonicMs, type PieceRecord } from '../../emulator/piece-times.ts'
import type { StreamSample } from './client.ts'
import type { Batch } from './rounds.ts'
import { median, quantile } from './stats.ts'

/** A text event's arrival: the answer text's length once it is added, and when it came (monotonic ms). */
export interface TextArrival {
  textLength: number
  at: number
}

export interface GapFigures {
  /** Content pieces timed, over all rounds (0: the emulator recorded none). */
  chunksTimed: number
  /** ms from the emulator's write to the client's read, p50 / p99 over every piece of every round. */
  chunkDelayP50: number
  chunkDelayP99: number
  /** Median over rounds of (the round's p50 / p99 − the floor's in the same round): what the contender adds to a piece's way. */
  addedGapP50: number
  addedGapP99: number
  /** Each round's p99 − the floor's (ms). */
  addedGapP99Rounds: number[]
}

/** performance.now() and the monotonic clock run together (both CLOCK_MONOTONIC), one offset apart. */
const MONOTONIC_OFFSET = monotonicMs() - performance.now()
export const toMonotonic = (performanceNow: number) => performanceNow + MONOTONIC_OFFSET

/** Every piece's write time the emulator recorded since the last call, by prompt, then cleared; {} when it records none. */
export async function takePieceTimes(emulatorUrl: string): Promise<Record<string, PieceRecord>> {
  const url = `${emulatorUrl}/__emulator/piece-times`
  try {
    const res = await fetch(url)
    if (!res.ok) {
      await res.body?.cancel()
      return {}
    }
    const times = (await res.json()) as Record<string, PieceRecord>
    await (await fetch(url, { method: 'DELETE' })).body?.cancel()
    return times
  } catch {
    return {}
  }
}

/** Each piece's delay (ms): the arrival of the first text event that completes it, minus its write. */
export function pieceDelays(arrivals: TextArrival[], record: PieceRecord): number[] {
  const out: number[] = []
  let k = 0
  for (let i = 0; i < record.ends.length; i++) {
    while (k < arrivals.length && arrivals[k]!.textLength < record.ends[i]!) k++
    if (k === arrivals.length) break
    out.push(arrivals[k]!.at - record.at[i]!)
  }
  return out
}

/** After a batch: takes the emulator's piece times and fills in the delays of every stream that passed. */
export async function timeChunks(samples: StreamSample[], emulatorUrl: string): Promise<void> {
  const times = await takePieceTimes(emulatorUrl)
  for (const s of samples) {
    const record = times[s.prompt]
    s.chunkDelays = s.ok && record ? pieceDelays(s.textArrivals, record) : []
  }
}

const delays = (b: Batch | undefined) => (b?.samples ?? []).filter((s) => s.ok).flatMap((s) => s.chunkDelays ?? [])
const p99 = (xs: number[]) => quantile(xs, 0.99)

/** A contender's delays against the floor's, round by round (`floor[i]` ran in the same round as `batches[i]`); NaN where nothing was timed. */
export function gapFigures(batches: Batch[], floor: Batch[]): GapFigures {
  const own = batches.map(delays)
  const base = batches.map((_, i) => delays(floor[i]))
  const all = own.flat()
  const paired = (q: (xs: number[]) => number) => own.map((xs, i) => q(xs) - q(base[i]!))
  const p99Rounds = paired(p99)
  return {
    chunksTimed: all.length,
    chunkDelayP50: median(all),
    chunkDelayP99: p99(all),
    addedGapP50: median(paired(median)),
    addedGapP99: median(p99Rounds),
    addedGapP99Rounds: p99Rounds.map((x) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x)),
  }
}
