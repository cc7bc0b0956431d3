/**
 * The added gap between chunks: how long each content piece spends inside a contender, beyond what
 * it spends in the floor. The emulator (started with `--piece-times`) records when it wrote each
 * piece, the client when the read that completed each text event arrived, both on the machine's
 * monotonic clock; a piece's delay is its arrival minus its write. A piece is matched by where it
 * ends in the answer text (the first event whose text reaches it), so a contender that merges or
 * splits pieces is still timed per upstream piece. The added gap p50 / p99 is the contender's
 * quantile of delays over every piece of every round minus the floor's (the bare pass-through,
 * same runtime, same rounds). A piece held back (until the next one comes, or a buffer fills)
 * adds the hold to its own delay, so it shows even when the gaps between arrivals stay even.
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
  /** The same minus the floor's: what the contender adds to each piece's way through. */
  addedGapP50: number
  addedGapP99: number
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

const delays = (batches: Batch[]) =>
  batches.flatMap((b) => b.samples.filter((s) => s.ok).flatMap((s) => s.chunkDelays ?? []))

/** A contender's delays against the floor's over the same rounds; NaN where nothing was timed. */
export function gapFigures(batches: Batch[], floor: Batch[]): GapFigures {
  const own = delays(batches)
  const base = delays(floor)
  const p50 = median(own)
  const p99 = quantile(own, 0.99)
  return {
    chunksTimed: own.length,
    chunkDelayP50: p50,
    chunkDelayP99: p99,
    addedGapP50: p50 - median(base),
    addedGapP99: p99 - quantile(base, 0.99),
  }
}
