/**
 * From rounds of batches to the figures of the table: per contender, medians over rounds of its own
 * cost over the floor (the bare pass-through on the same runtime, measured in the same round), p95
 * over all streams, ratios to the floor and to the lean pass-through, and the added gap between
 * chunks (lib/gap.ts).
 *
 * @example
 * const fig = summarizeCase(rounds, { chunks: 2000 })
 */
import { gapFigures, type GapFigures } from './gap.ts'
import type { Batch } from './rounds.ts'
import { median, p95 } from './stats.ts'

/** Gap figures are absent from results written before they were measured. */
export interface TargetFigures extends Partial<GapFigures> {
  streams: number
  failures: number
  failureSamples: string[]
  lostBytes: number
  ttftP50: number
  ttftP95: number
  /** Median over rounds of (this round's median − the floor's median in the same round). */
  ownTtftP50: number
  /** p95 over all streams minus the floor's. */
  ownTtftP95: number
  /** Server CPU per upstream chunk (µs), median over rounds. */
  cpuUsPerChunk: number
  /** Median over rounds of (CPU per chunk − the floor's in the same round). */
  ownCpuUsPerChunk: number
  /** Text chunks delivered per second of the batch's wall time, median over rounds. */
  chunksPerSec: number
  readsMedian: number
  rounds: { ttftMedian: number; cpuUsPerChunk: number; chunksPerSec: number }[]
}

export const FLOOR = 'passthrough'

const cpuPerChunk = (b: Batch, chunks: number) => (b.cpuMs * 1000) / (b.samples.length * chunks)
const okTtft = (b: Batch) => b.samples.filter((s) => s.ok).map((s) => s.ttft)
const rate = (b: Batch) => (b.samples.filter((s) => s.ok).reduce((n, s) => n + s.textEvents, 0) / b.wallMs) * 1000

export function summarizeCase(
  rounds: Record<string, Batch[]>,
  opts: { chunks: number },
  extraFailures: Record<string, string[]> = {},
): Record<string, TargetFigures> {
  const floor = rounds[FLOOR] ?? []
  const out: Record<string, TargetFigures> = {}
  for (const [label, batches] of Object.entries(rounds)) {
    const all = batches.flatMap((b) => b.samples)
    const failed = all.filter((s) => !s.ok)
    const perRound = batches.map((b) => ({
      ttftMedian: median(okTtft(b)),
      cpuUsPerChunk: cpuPerChunk(b, opts.chunks),
      chunksPerSec: rate(b),
    }))
    const floorRound = floor.map((b) => ({ ttftMedian: median(okTtft(b)), cpuUsPerChunk: cpuPerChunk(b, opts.chunks) }))
    const paired = (k: 'ttftMedian' | 'cpuUsPerChunk') =>
      median(perRound.map((r, i) => r[k] - (floorRound[i]?.[k] ?? NaN)))
    const ttfts = batches.flatMap(okTtft)
    const floorTtfts = floor.flatMap(okTtft)
    out[label] = {
      streams: all.length,
      failures: failed.length + (extraFailures[label]?.length ?? 0),
      failureSamples: [...new Set([...(extraFailures[label] ?? []), ...failed.map((s) => s.failure ?? '?')])].slice(
        0,
        3,
      ),
      lostBytes: all.reduce((n, s) => n + s.lostBytes, 0),
      ttftP50: median(perRound.map((r) => r.ttftMedian)),
      ttftP95: p95(ttfts),
      ownTtftP50: paired('ttftMedian'),
      ownTtftP95: p95(ttfts) - p95(floorTtfts),
      cpuUsPerChunk: median(perRound.map((r) => r.cpuUsPerChunk)),
      ownCpuUsPerChunk: paired('cpuUsPerChunk'),
      chunksPerSec: median(perRound.map((r) => r.chunksPerSec)),
      readsMedian: median(all.filter((s) => s.ok).map((s) => s.reads)),
      ...gapFigures(batches, floor),
      rounds: perRound.map((r) => ({
        ttftMedian: r3(r.ttftMedian),
        cpuUsPerChunk: r3(r.cpuUsPerChunk),
        chunksPerSec: r3(r.chunksPerSec),
      })),
    }
  }
  return out
}

export const r3 = (x: number) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x)
