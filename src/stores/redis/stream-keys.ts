/**
 * Where a resumable stream lives in Redis, under REDIS_KEY_PREFIX:
 * - `stream:<id>`: a Redis stream, event n at entry id `0-n` (field `e`: its bytes exactly as the
 *   first instance sent them), then one entry with the field `end` after the closing event;
 * - `stream:<id>:state`: `running <instance id>` while the generation runs there (a lease the
 *   instance keeps renewing), `done` once it ended (kept RESUME_TTL_MS, like the events);
 * - `control:<instance id>`: the instance's pub/sub channel (stop a stream, a listener elsewhere).
 *
 * @example
 * streamKeys(redis, 'x3Q0bC9vZ-1kR2_wT8yNa4Lm') // { events: 'llm-gw:stream:x3Q…', state: 'llm-gw:stream:x3Q…:state' }
 * parseState('running ab12') // { running: true, owner: 'ab12' }
 * entryId(4)                 // '0-4'
 */
import type { RedisConnection } from './connection'

export interface StreamKeys {
  events: string
  state: string
}

export type StreamState = { running: true; owner: string } | { running: false }

export const streamKeys = (redis: Pick<RedisConnection, 'key'>, streamId: string): StreamKeys => ({
  events: redis.key('stream', streamId),
  state: redis.key('stream', streamId, 'state'),
})

export const controlChannel = (redis: Pick<RedisConnection, 'key'>, instanceId: string): string =>
  redis.key('control', instanceId)

export const runningState = (owner: string): string => `running ${owner}`
export const DONE_STATE = 'done'

/** Undefined for a missing key (unknown or expired stream) or a value this code did not write. */
export function parseState(value: string | null | undefined): StreamState | undefined {
  if (value === DONE_STATE) return { running: false }
  if (value?.startsWith('running ')) return { running: true, owner: value.slice('running '.length) }
  return undefined
}

/** The entry id of event `seq` (the end marker takes the id after the closing event's). */
export const entryId = (seq: number): string => `0-${seq}`

/** The event number in an entry id `0-n`; NaN for anything else. */
export function entrySeq(id: string): number {
  return id.startsWith('0-') ? Number(id.slice(2)) : Number.NaN
}
