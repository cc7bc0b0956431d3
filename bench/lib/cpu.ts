/**
 * CPU time and memory of a process group, from /proc (Linux only; elsewhere `available` is false).
 * Every server runs in its own process group (wrangler + its two workerd processes, or one Bun or
 * Node process), so the CPU each spent during a batch of streams is its own.
 *
 * CPU is the scheduler's `se.sum_exec_runtime` of every thread (/proc/PID/task/TID/sched, µs
 * resolution), falling back to utime + stime from /proc/PID/stat (one clock tick, 10 ms) where
 * that file is missing. Threads that ended between two snapshots are not counted (the servers'
 * threads live as long as the process).
 *
 * @example
 * const before = groupCpu(pid); ...; const ms = total(delta(before, groupCpu(pid)))
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

/** The live processes of group `pgid`, as `[pid, name]`. */
export function groupPids(pgid: number): [string, string][] {
  const out: [string, string][] = []
  if (!available || pgid <= 0) return out
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const close = stat.lastIndexOf(')')
      // After "pid (comm) ": state ppid pgrp ...
      if (Number(stat.slice(close + 2).split(' ')[2]) === pgid)
        out.push([entry, stat.slice(stat.indexOf('(') + 1, close)])
    } catch {
      /* the process ended meanwhile */
    }
  }
  return out
}

const RUNTIME = /se\.sum_exec_runtime\s*:\s*([\d.]+)/

/** CPU ms of one process: the sum over its threads, or utime + stime in ticks. */
function processCpu(pid: string): number {
  try {
    let sum = 0
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const m = RUNTIME.exec(readFileSync(`/proc/${pid}/task/${tid}/sched`, 'utf8'))
      if (!m) throw new Error('no sched')
      sum += Number(m[1])
    }
    return sum
  } catch {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      return (Number(fields[11]) + Number(fields[12])) * tickMs
    } catch {
      return 0
    }
  }
}

/** CPU milliseconds (user + system) of every live process in group `pgid`, by `pid:name`. */
export function groupCpu(pgid: number): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [pid, name] of groupPids(pgid)) out[`${pid}:${name}`] = processCpu(pid)
  return out
}

/** Resident memory (VmRSS, KiB) of every live process in group `pgid`, summed. */
export function groupRssKb(pgid: number): number {
  let sum = 0
  for (const [pid] of groupPids(pgid)) {
    try {
      const m = /VmRSS:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      if (m) sum += Number(m[1])
    } catch {
      /* ended */
    }
  }
  return sum
}

export const total = (cpu: Record<string, number>) => Object.values(cpu).reduce((a, b) => a + b, 0)

/** CPU ms spent per process between two snapshots (processes that ended are not counted). */
export function delta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(after)) out[k] = v - (before[k] ?? 0)
  return out
}
