/** Small statistics helpers: percentiles and a bootstrap interval for a difference of medians. */

/** The q-quantile (0..1) with linear interpolation between order statistics; NaN for no data. */
export function quantile(values: number[], q: number): number {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  if (xs.length === 0) return NaN
  const pos = (xs.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return xs[lo]! + (xs[hi]! - xs[lo]!) * (pos - lo)
}

export const median = (values: number[]) => quantile(values, 0.5)
export const p95 = (values: number[]) => quantile(values, 0.95)

/** A deterministic PRNG (mulberry32), so the intervals are reproducible for the same samples. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A 95% percentile-bootstrap interval for median(a) − median(b): how far the difference of
 * medians could move with other samples of the same size. [NaN, NaN] without data.
 */
export function bootstrapMedianDiff(a: number[], b: number[], iterations = 1000, seed = 42): [number, number] {
  const xa = a.filter(Number.isFinite)
  const xb = b.filter(Number.isFinite)
  if (xa.length === 0 || xb.length === 0) return [NaN, NaN]
  const rand = rng(seed)
  const resample = (xs: number[]) => Array.from({ length: xs.length }, () => xs[Math.floor(rand() * xs.length)]!)
  const diffs: number[] = []
  for (let i = 0; i < iterations; i++) diffs.push(median(resample(xa)) - median(resample(xb)))
  return [quantile(diffs, 0.025), quantile(diffs, 0.975)]
}
