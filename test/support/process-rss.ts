/**
 * The resident memory of a process group (wrangler + workerd, or one Bun/Node process), on Linux, for
 * the black-box tests that check a gateway's memory stays flat under a hostile upstream.
 *
 * @example
 * const before = canMeasureRss ? groupRss(gateway.pid) : 0
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'

/** Bytes resident in every process of group `pgid`; Linux only (see {@link canMeasureRss}). */
export function groupRss(pgid: number): number {
  let total = 0
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) !== pgid) continue
      total += Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024
    } catch {
      /* the process ended meanwhile */
    }
  }
  return total
}

export const canMeasureRss = existsSync('/proc/self/stat')

/** Samples a group's RSS every 25 ms until `stop()`, which returns the RSS before and the peak. */
export function sampleRss(pgid: number): { stop: () => { before: number; peak: number } } {
  const before = canMeasureRss ? groupRss(pgid) : 0
  let peak = before
  const sampler = setInterval(() => {
    if (canMeasureRss) peak = Math.max(peak, groupRss(pgid))
  }, 25)
  return {
    stop: () => {
      clearInterval(sampler)
      return { before, peak }
    },
  }
}
