/**
 * Each gateway variant (`gateway+redis`, `gateway+budget`) against the plain gateway measured in the
 * same rounds: own time to first text (1 and 50 streams) and server CPU per chunk (burst, steady), as
 * ratios. `gateway+redis` has a target: every figure within 10 % of the in-process store's.
 *
 * @example
 * for (const row of compareVariants(results)) console.log(row.label, row.at, row.figures, withinTolerance(row))
 */
import { APIS } from './apis.ts'
import { apiOf, f } from './checks.ts'
import type { Results } from './results.ts'
import { VARIANT_LABELS } from './variants.ts'

/** How much worse than the plain gateway `gateway+redis` may be on each figure. */
export const REDIS_TOLERANCE = 0.1

export interface VariantFigure {
  what: string
  unit: 'ms' | 'µs'
  variant: number
  gateway: number
}
export interface VariantRow {
  label: string
  /** `bun openai`, or `bun openai POST /v1/chat/completions`. */
  at: string
  figures: VariantFigure[]
}

const FIGURES = [
  { case: 'steady', what: 'own first text, 1 stream', unit: 'ms', key: 'ownTtftP50' },
  { case: 'c50', what: 'own first text, 50 streams', unit: 'ms', key: 'ownTtftP50' },
  { case: 'burst', what: 'CPU/chunk burst', unit: 'µs', key: 'cpuUsPerChunk' },
  { case: 'steady', what: 'CPU/chunk steady', unit: 'µs', key: 'cpuUsPerChunk' },
] as const

export function compareVariants(r: Results): VariantRow[] {
  const rows: VariantRow[] = []
  const places = [...new Set(r.cases.map((c) => `${c.runtime}|${c.provider}|${apiOf(c)}`))]
  for (const label of VARIANT_LABELS) {
    for (const place of places) {
      const [runtime, provider, api] = place.split('|')
      const here = r.cases.filter((c) => c.runtime === runtime && c.provider === provider && apiOf(c) === api)
      const figures: VariantFigure[] = []
      for (const fig of FIGURES) {
        const c = here.find((x) => x.case === fig.case)
        const v = c?.targets[label]
        const g = c?.targets.gateway
        if (v && g) figures.push({ what: fig.what, unit: fig.unit, variant: v[fig.key], gateway: g[fig.key] })
      }
      if (!figures.length) continue
      const route = api === 'api' ? '' : ` ${APIS[api as keyof typeof APIS].route}`
      rows.push({ label, at: `${runtime} ${provider}${route}`, figures })
    }
  }
  return rows
}

/**
 * Whether a figure is within `tolerance` of the plain gateway's: variant ≤ gateway + tolerance × |gateway|
 * (an "own" time can be near zero or negative, where a bare ratio means nothing).
 */
export const figureWithin = (x: VariantFigure, tolerance = REDIS_TOLERANCE) =>
  Number.isFinite(x.variant) && Number.isFinite(x.gateway) && x.variant <= x.gateway + tolerance * Math.abs(x.gateway)

export const withinTolerance = (row: VariantRow, tolerance = REDIS_TOLERANCE) =>
  row.figures.every((x) => figureWithin(x, tolerance))

/** `0.41 vs 0.38 ms (1.08×)`; the ratio only where the plain gateway's figure is above zero. */
export function describeFigure(x: VariantFigure): string {
  const d = x.unit === 'ms' ? 2 : 1
  const ratio =
    x.gateway > 0 && Number.isFinite(x.variant / x.gateway) ? ` (${(x.variant / x.gateway).toFixed(2)}×)` : ''
  return `${f(x.variant, d)} vs ${f(x.gateway, d)} ${x.unit}${ratio}`
}
