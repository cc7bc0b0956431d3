/**
 * What the probe measures: one arm per stage, each a GET on the probe's worker, compared with its
 * baseline (the worker answering the same kind of stream itself) and, where it adds one thing to
 * another arm, with that arm (`over`). Arms run in groups; a group's arms run in order (an `again`
 * arm reuses the objects the arm before it created).
 *
 * @example
 * for (const group of GROUPS) for (const arm of group) await runBlock(arm, …)
 */
import type { Sample } from './client.ts'

export const EVENTS = 50

export interface Arm {
  key: string
  label: string
  /** The path for object `id`, copies sent in batches of `batch` events. */
  path: (id: string, batch: number) => string
  /** new: a new object per request; again: the objects of the arm before it; none: no object. */
  ids: 'new' | 'again' | 'none'
  baseline: typeof BASE_1 | typeof BASE_N
  /** The arm this one adds one thing to. */
  over?: string
  /** For a stream arm, the arm that does the same with one answer (its per-event CPU is the difference). */
  single?: string
  /** Data events the body carries (0: the body is "ok"). */
  events: number
  /** The object must hold a copy of every event afterwards. */
  copies?: boolean
}

export const BASE_1 = 'base-1'
export const BASE_N = `base-${EVENTS}`

const base = (events: number): Arm => ({
  key: `base-${events}`,
  label: `baseline: worker answers ${events} event${events > 1 ? 's' : ''}`,
  path: () => `/base?events=${events}`,
  ids: 'none',
  baseline: `base-${events}` as Arm['baseline'],
  events,
})

const small = (key: string, label: string, route: string, ids: Arm['ids'], over?: string): Arm => ({
  key,
  label,
  path: (id) => `/${route}?id=${id}`,
  ids,
  baseline: BASE_1,
  ...(over ? { over } : {}),
  events: 0,
})

const stream = (key: string, label: string, route: string, extra: Partial<Arm>): Arm => ({
  key,
  label,
  path: (id, batch) => `/${route}?id=${id}&events=${EVENTS}&batch=${batch}`,
  ids: 'new',
  baseline: BASE_N,
  events: EVENTS,
  ...extra,
})

export const GROUPS: Arm[][] = [
  [base(1)],
  [
    small('hop-new', '1. hop, new object', 'hop', 'new'),
    small('hop-again', '1. hop, existing object', 'hop', 'again', 'hop-new'),
  ],
  [
    small('put-new', '2. hop + put 1 KB, new object', 'put', 'new', 'hop-new'),
    small('put-again', '2. hop + put 1 KB, existing', 'put', 'again', 'hop-again'),
  ],
  [small('start', '3. hop + 2 KB JSON start, new', 'start', 'new', 'hop-new')],
  [base(EVENTS)],
  [stream('stream', `4. object answers ${EVENTS} events`, 'stream', { over: 'hop-new', single: 'hop-new' })],
  [stream('stream-log', '5. + id line, kept in memory', 'stream-log', { over: 'stream', single: 'hop-new' })],
  [stream('copy-ws', '6. worker answers, WebSocket copy', 'copy-ws', { copies: true })],
  [stream('copy-ws-lazy', '6. same, socket opened at 1st batch', 'copy-ws-lazy', { over: 'copy-ws', copies: true })],
  [stream('copy-post', '6. worker answers, POST per batch', 'copy-post', { copies: true })],
]

export const ARMS = GROUPS.flat()

const occurrences = (text: string, needle: string) => text.split(needle).length - 1

/** Why the answer is not the arm's expected one; undefined when it is. */
export function failure(a: Arm, sample: Sample): string | undefined {
  if (sample.status !== 200) return `HTTP ${sample.status}: ${sample.body.slice(0, 200)}`
  if (a.events === 0) return sample.body === 'ok' ? undefined : `body ${JSON.stringify(sample.body.slice(0, 200))}`
  const events = occurrences(sample.body, 'data: ')
  return events === a.events ? undefined : `${events} events instead of ${a.events}`
}
