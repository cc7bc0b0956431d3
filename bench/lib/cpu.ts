/**
 * CPU time used by a process group, from /proc (Linux only; elsewhere `available` is false).
 * The servers run in their own process groups (wrangler + its two workerd processes, or one Bun
 * or Node process), so the CPU each spent during a case is its own, even with interleaved requests.
 * Resolution: one clock tick (10 ms); divided over a case's streams it is fine enough.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'

export const available = existsSync('/proc/self/stat')

let tickMs = 10
try {
  const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
  if (hz > 0) tickMs = 1000 / hz
} catch {
  /* keep 100 Hz */
}

/** CPU milliseconds (user + system) of every live process in group `pgid`, by `pid:name`. */
export function groupCpu(pgid: number): Record<string, number> {
  const out: Record<string, number> = {}
  if (!available || pgid <= 0) return out
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const close = stat.lastIndexOf(')')
      const fields = stat.slice(close + 2).split(' ')
      // After "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
      if (Number(fields[2]) !== pgid) continue
      const name = stat.slice(stat.indexOf('(') + 1, close)
      out[`${entry}:${name}`] = (Number(fields[11]) + Number(fields[12])) * tickMs
    } catch {
      /* the process ended meanwhile */
    }
  }
  return out
}

export const total = (cpu: Record<string, number>) => Object.values(cpu).reduce((a, b) => a + b, 0)

/** CPU ms spent per process between two snapshots (processes that ended are not counted). */
export function delta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(after)) out[k] = v - (before[k] ?? 0)
  return out
}
