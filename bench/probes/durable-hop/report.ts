/**
 * The probe's table, per arm: the client's time to first byte (median, p95, the difference of
 * medians to the baseline with a 95% bootstrap interval, and to the arm it adds to), the median time
 * to the end, and the workerd processes' CPU per request (a median over rounds of each block's CPU /
 * its requests; differences paired by round). Stream arms also get a per-event time (the stream after
 * its first byte, against the baseline's) and a per-event CPU: with a one-answer counterpart
 * (`single`), (own − single) − (baseline − one-event baseline) over the events after the first;
 * without one, (own − baseline) / events, fixed costs included.
 *
 * @example
 * console.log(table(results, 50))
 */
import { bootstrapMedianDiff, median, p95 } from '../../lib/stats.ts'
import { ARMS, BASE_1, type Arm } from './arms.ts'
import type { Sample } from './client.ts'

export interface ArmResult {
  samples: Sample[]
  /** CPU ms per request of each round's block, by round. */
  cpuPerRequest: number[]
  failures: string[]
}

const ms = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2)) : '–')
const signed = (v: number) => (v >= 0 ? `+${ms(v)}` : ms(v))
const us = (v: number) => `${v >= 0 ? '+' : ''}${(v * 1000).toFixed(0)} µs`

/** Median over rounds of a per-round combination of several arms' CPU. */
function paired(results: Map<string, ArmResult>, keys: string[], combine: (cpu: number[]) => number): number {
  const series = keys.map((k) => results.get(k)!.cpuPerRequest)
  const rounds = Math.min(...series.map((s) => s.length))
  return median(Array.from({ length: rounds }, (_, r) => combine(series.map((s) => s[r]!))))
}

function row(arm: Arm, results: Map<string, ArmResult>): string {
  const at = (key: string) => results.get(key)!
  const own = at(arm.key)
  const base = at(arm.baseline)
  const isBase = arm.key === arm.baseline
  const isStream = arm.events > 1
  const of = (r: ArmResult, pick: (s: Sample) => number) => r.samples.map(pick)
  const ttfb = of(own, (s) => s.ttfb)
  const baseTtfb = of(base, (s) => s.ttfb)
  const [lo, hi] = bootstrapMedianDiff(ttfb, baseTtfb)
  const over = arm.over ? at(arm.over) : undefined
  const afterFirst = (r: ArmResult) => median(of(r, (s) => s.total - s.ttfb))
  const perEventTime = (afterFirst(own) - afterFirst(base)) / (arm.events - 1)
  const cpuPerEvent = arm.single
    ? paired(results, [arm.key, arm.single, arm.baseline, BASE_1], ([o, s, b, b1]) => o! - s! - (b! - b1!)) /
      (arm.events - 1)
    : paired(results, [arm.key, arm.baseline], ([o, b]) => o! - b!) / arm.events
  const cells = [
    arm.label,
    String(own.samples.length),
    ms(median(ttfb)),
    ms(p95(ttfb)),
    isBase ? '' : `${signed(median(ttfb) - median(baseTtfb))} [${ms(lo)}, ${ms(hi)}]`,
    over ? `${signed(median(ttfb) - median(of(over, (s) => s.ttfb)))} (${arm.over})` : '',
    ms(median(of(own, (s) => s.total))),
    isStream && !isBase ? us(perEventTime) : '',
    ms(median(own.cpuPerRequest)),
    isBase ? '' : signed(paired(results, [arm.key, arm.baseline], ([o, b]) => o! - b!)),
    isStream && !isBase ? us(cpuPerEvent) : '',
    own.failures.length === 0 ? '0' : `${own.failures.length}: ${own.failures[0]}`,
  ]
  return `| ${cells.join(' | ')} |`
}

export function table(results: Map<string, ArmResult>, concurrency: number): string {
  const head = [
    `stage (c=${concurrency})`,
    'n',
    'TTFB med ms',
    'TTFB p95',
    'Δ TTFB vs baseline [95% CI]',
    'Δ TTFB vs the stage it adds to',
    'total med',
    'Δ time per event',
    'workerd CPU ms/req',
    'Δ CPU ms/req',
    'Δ CPU per event',
    'failed',
  ]
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`]
  for (const arm of ARMS) if (results.has(arm.key)) lines.push(row(arm, results))
  return lines.join('\n')
}
