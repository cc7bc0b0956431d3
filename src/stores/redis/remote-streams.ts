/**
 * Streams that run on another instance, as this one sees them through Redis: a mirror log per
 * stream, rebuilt from its events in Redis (XRANGE), then fed live by the follower until the end
 * marker, so its listeners get exactly the bytes the first instance sent, through the same
 * {@link listenerResponse} as local ones. All of this instance's listeners on a stream share one
 * mirror; while it has any, the owner is told every heartbeat (`here`), and `gone` when the last
 * one leaves, so the owner's grace counts them.
 *
 * A mirror ends without a closing event (its clients reconnect) when Redis becomes unavailable, when
 * the stream's state disappears (the owner died, or its copy failed) or when its events have a hole.
 *
 * @example
 * const lease = await remote.open(streamId)   // undefined: unknown, expired, or Redis unavailable
 * if (lease) try { return listenerResponse(lease.log, after, options) } finally { lease.release() }
 */
import { eventId } from '../../streams/event-id'
import { StreamLog } from '../../streams/stream-log'
import type { RedisConnection } from './connection'
import type { ControlChannel } from './stream-control'
import { BINARY, parseEntry, type RawEntry, type StreamEntry, type StreamFollower } from './stream-follower'
import { parseState, streamKeys, type StreamState } from './stream-keys'

export interface MirrorLease {
  log: StreamLog
  /** Call once the listener is attached (or given up): a mirror nobody listens to stops following. */
  release(): void
}

export interface RemoteStreams {
  /** The stream as Redis has it (replayed, then live while it runs); undefined when unknown or Redis is unavailable. */
  open(streamId: string): Promise<MirrorLease | undefined>
  /** The stream's state in Redis; undefined when unknown or Redis is unavailable. */
  state(streamId: string): Promise<StreamState | undefined>
  readonly mirrors: number
  close(): void
}

export interface RemoteStreamsSettings {
  control: ControlChannel
  follower: StreamFollower
  /** How often the owners hear about this instance's listeners, and each stream's state is checked. */
  heartbeatMs: number
}

interface Mirror {
  log: StreamLog
  owner: string
  /** Resumes between open() and release(). */
  pending: number
  stop: () => void
}

type Fed = 'open' | 'ended' | 'broken'

const encoder = new TextEncoder()

/** Adds entries to a mirror log: each must be the next event, its id line the one the owner wrote. */
function feed(log: StreamLog, entries: StreamEntry[]): Fed {
  for (const entry of entries) {
    if (entry.seq !== log.count + 1) return 'broken'
    if (entry.end) {
      log.close()
      return 'ended'
    }
    const idLine = encoder.encode(`id: ${eventId(log.streamId, entry.seq)}\n`)
    const event = entry.event
    if (!event || !idLine.every((byte, i) => event[i] === byte)) return 'broken'
    // The log writes the same id line again: the bytes come out as the owner sent them.
    log.appendEvents(event.subarray(idLine.byteLength))
    if (log.count !== entry.seq) return 'broken'
  }
  return 'open'
}

export function createRemoteStreams(redis: RedisConnection, settings: RemoteStreamsSettings): RemoteStreams {
  const { control, follower } = settings
  const mirrors = new Map<string, Mirror>()
  const opening = new Map<string, Promise<Mirror | StreamLog | undefined>>()

  /** Stops following; a mirror that did not reach its end is closed as it is (its clients reconnect). */
  const end = (streamId: string, mirror: Mirror): void => {
    if (mirrors.get(streamId) !== mirror) return
    mirrors.delete(streamId)
    mirror.stop()
    if (!mirror.log.finished) mirror.log.close()
  }

  /** A mirror with no listener and no resume under way stops following and tells the owner. */
  const settle = (streamId: string, log: StreamLog): void => {
    const mirror = mirrors.get(streamId)
    if (!mirror || mirror.log !== log || mirror.pending > 0 || log.listeners > 0) return
    mirrors.delete(streamId)
    mirror.stop()
    void control.send(mirror.owner, { type: 'gone', streamId, from: control.instanceId })
  }

  const load = async (streamId: string): Promise<Mirror | StreamLog | undefined> => {
    const keys = streamKeys(redis, streamId)
    let state: StreamState | undefined
    let entries: StreamEntry[]
    try {
      const [value, raw] = await redis.run((client) =>
        Promise.all([
          client.get(keys.state),
          client.sendCommand<RawEntry[]>(['XRANGE', keys.events, '-', '+'], BINARY),
        ]),
      )
      state = parseState(value)
      entries = raw.map(parseEntry)
    } catch {
      return undefined
    }
    if (!state) return undefined
    // Said before anything else, so that the owner's grace stops as early as it can.
    if (state.running) void control.send(state.owner, { type: 'here', streamIds: [streamId], from: control.instanceId })
    const log = new StreamLog(streamId, { graceMs: 0, onDeserted: () => settle(streamId, log) })
    const fed = feed(log, entries)
    if (fed === 'ended') return log
    if (fed === 'broken' || !state.running) return undefined
    const mirror: Mirror = { log, owner: state.owner, pending: 0, stop: () => {} }
    mirrors.set(streamId, mirror)
    mirror.stop = follower.follow({
      key: keys.events,
      after: log.count,
      deliver: (more) => {
        if (feed(log, more) !== 'open') end(streamId, mirror)
      },
      lost: () => end(streamId, mirror),
    })
    return mirror
  }

  const heartbeat = setInterval(() => {
    if (mirrors.size === 0) return
    if (!redis.ok) {
      for (const [streamId, mirror] of mirrors) end(streamId, mirror)
      return
    }
    const byOwner = new Map<string, string[]>()
    for (const [streamId, mirror] of mirrors)
      byOwner.set(mirror.owner, [...(byOwner.get(mirror.owner) ?? []), streamId])
    for (const [owner, streamIds] of byOwner)
      void control.send(owner, { type: 'here', streamIds, from: control.instanceId })
    const list = [...mirrors]
    redis
      .run((client) => Promise.all(list.map(([streamId]) => client.get(streamKeys(redis, streamId).state))))
      .then(
        (states) => {
          // No state: the owner died or its copy failed; nothing more will come.
          for (const [i, value] of states.entries()) if (!parseState(value)) end(list[i]![0], list[i]![1])
        },
        () => {},
      )
  }, settings.heartbeatMs)
  ;(heartbeat as { unref?: () => void }).unref?.()

  return {
    async open(streamId) {
      let found: Mirror | StreamLog | undefined = mirrors.get(streamId)
      if (!found) {
        let loading = opening.get(streamId)
        if (!loading) {
          loading = load(streamId).finally(() => opening.delete(streamId))
          opening.set(streamId, loading)
        }
        found = await loading
      }
      if (!found) return undefined
      if (found instanceof StreamLog) return { log: found, release: () => {} }
      const mirror = found
      mirror.pending++
      let released = false
      return {
        log: mirror.log,
        release: () => {
          if (released) return
          released = true
          mirror.pending--
          settle(streamId, mirror.log)
        },
      }
    },
    async state(streamId) {
      try {
        return parseState(await redis.run((client) => client.get(streamKeys(redis, streamId).state)))
      } catch {
        return undefined
      }
    },
    get mirrors() {
      return mirrors.size
    },
    close() {
      clearInterval(heartbeat)
      for (const [streamId, mirror] of mirrors) end(streamId, mirror)
    },
  }
}
