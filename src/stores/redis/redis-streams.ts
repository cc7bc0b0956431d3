/**
 * Resumable streams shared through Redis (Bun and Node with REDIS_URL): several instances behind a
 * load balancer behave as one. The instance that runs a generation keeps it in this process's store
 * ({@link createMemoryStreams}) and serves its own clients from there, never waiting on Redis; each
 * event is copied to Redis off the hot path ({@link createReplicator}). A resume on any instance is
 * served locally when the stream runs (or is still kept) here, else replayed from Redis and followed
 * live ({@link createRemoteStreams}). `DELETE` reaches the instance that runs the stream over the
 * control channel; listeners on other instances count for its grace ({@link trackRemoteListeners}).
 *
 * Connections per process: the shared one, one subscriber (control channel) and one reader (live
 * reads, opened at the first remote resume). When Redis is unavailable, new streams run and serve
 * their clients as before (not resumable elsewhere), and a stream that runs elsewhere is unknown here.
 *
 * @example
 * const streams = createRedisStreams(redis)
 * const app = createApp({ streams, store: redis })
 */
import { createMemoryStreams, type MemoryStreamsSettings } from '../../streams/memory-streams'
import { finishedResponse, type StreamHost, unknownResponse } from '../../streams/host'
import { listenerResponse } from '../../streams/listener-body'
import type { LiveStream } from '../../streams/live-stream'
import type { StreamLog } from '../../streams/stream-log'
import type { RedisConnection } from './connection'
import { createRemoteStreams } from './remote-streams'
import { trackRemoteListeners } from './remote-listeners'
import { openControlChannel } from './stream-control'
import { createStreamFollower } from './stream-follower'
import { createReplicator } from './stream-replica'

export interface RedisStreamsSettings extends Omit<MemoryStreamsSettings, 'onStart'> {
  /** This process among the instances (random by default). */
  instanceId?: string
  /** How long a running stream's keys outlive its last write: an instance that died is noticed within this (10 s). */
  leaseMs?: number
  /** How often the keys of a running stream are renewed (3 s). */
  heartbeatMs?: number
  /** How long new events wait before they are copied, so that several go in one call (20 ms). */
  flushMs?: number
  /** How often an instance tells the owners which of their streams it has listeners on (1 s). */
  presenceMs?: number
  /** How long a live read waits in Redis before it starts again (200 ms). */
  blockMs?: number
  /** Most events per stream in Redis, the XADD MAXLEN (100 000). */
  maxEvents?: number
  /** How long a resume waits for events its client already has but Redis does not yet (2 s). */
  catchUpMs?: number
  /** How often a DELETE asks the owner, 100 ms apart, while its subscriber does not answer (30). */
  cancelTries?: number
  log?: (line: string) => void
}

export interface RedisStreamHost extends StreamHost {
  readonly instanceId: string
  close(): Promise<void>
}

export const REDIS_STREAMS_DEFAULTS = {
  leaseMs: 10_000,
  heartbeatMs: 3000,
  flushMs: 20,
  presenceMs: 1000,
  blockMs: 200,
  maxEvents: 100_000,
  maxBytes: 64 * 1024 * 1024,
  catchUpMs: 2000,
  cancelTries: 30,
} as const

function newInstanceId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(9))
  return btoa(String.fromCharCode(...bytes))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
}

/** True once `log` holds event `after` (or ended), false after `ms`. */
async function caughtUp(log: StreamLog, after: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (log.count < after && !log.finished) {
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return log.count >= after
}

export function createRedisStreams(redis: RedisConnection, settings: RedisStreamsSettings = {}): RedisStreamHost {
  const options = { ...REDIS_STREAMS_DEFAULTS, ...settings }
  const instanceId = settings.instanceId ?? newInstanceId()
  /** Streams whose generation runs in this process. */
  const running = new Map<string, LiveStream>()
  const replicator = createReplicator(redis, { ...options, instanceId })
  const remoteListeners = trackRemoteListeners({ expiryMs: options.presenceMs * 3 })
  const local = createMemoryStreams({
    ...settings,
    onStart(live, start, record) {
      const { streamId } = start
      running.set(streamId, live)
      live.log.observe({ push() {}, close: () => running.delete(streamId) })
      replicator.replicate(live.log, { ttlMs: start.ttlMs, record })
    },
  })
  const control = openControlChannel(redis, instanceId, (message) => {
    if (message.type === 'cancel') void local.cancel(message.streamId)
    else if (message.type === 'gone') remoteListeners.gone(message.streamId, message.from)
    else if (message.type === 'here') {
      for (const streamId of message.streamIds) {
        const live = running.get(streamId)
        if (live) remoteListeners.here(live.log, message.from)
      }
    }
  })
  const follower = createStreamFollower(redis, { blockMs: options.blockMs })

  /**
   * Asks the owner to stop the stream. Nobody received it: the owner's subscriber may be reconnecting
   * (after Redis came back), so ask again for a while, unless the stream ended or its lease ran out.
   */
  const stopElsewhere = async (owner: string, streamId: string): Promise<void> => {
    for (let tries = 0; tries < options.cancelTries; tries++) {
      if (await control.send(owner, { type: 'cancel', streamId })) return
      await new Promise((resolve) => setTimeout(resolve, 100))
      if (!(await remote.state(streamId))?.running) return
    }
  }
  const remote = createRemoteStreams(redis, { control, follower, heartbeatMs: options.presenceMs })

  return {
    instanceId,
    start: (start, providers, record) => local.start(start, providers, record),

    async resume(streamId, after, pingIntervalMs) {
      const here = await local.resume(streamId, after, pingIntervalMs)
      // A stream running here is answered here only: Redis never has more of it.
      if (here.status !== 404 || running.has(streamId)) return here
      const lease = await remote.open(streamId)
      if (!lease) return unknownResponse()
      try {
        const { log } = lease
        // The client may have an event the owner has not copied yet: wait for it, briefly.
        if (!(await caughtUp(log, after, options.catchUpMs))) return unknownResponse()
        if (log.finished && after === log.count) return finishedResponse()
        return listenerResponse(log, after, { pingIntervalMs })
      } finally {
        lease.release()
      }
    },

    async cancel(streamId) {
      const here = await local.cancel(streamId)
      if (here.status !== 404) return here
      const state = await remote.state(streamId)
      if (!state) return unknownResponse()
      if (state.running) await stopElsewhere(state.owner, streamId)
      return finishedResponse()
    },

    async close() {
      replicator.close()
      remoteListeners.close()
      remote.close()
      await Promise.all([follower.close(), control.close()])
    },
  }
}
