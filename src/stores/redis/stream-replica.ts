/**
 * Copies the events of the streams this instance runs to Redis, off the hot path: the local log
 * serves its own clients at once, and what it added since the last write goes out `flushMs` later
 * (a few events per call rather than one), every stream in one pipeline (one script call per
 * stream: its new events, the state and the expiry), so a resume on another instance can replay them.
 * The next write waits for the one under way, so writes never pile up behind a slow Redis. While a
 * stream runs its keys live `leaseMs` past the last write, renewed every `heartbeatMs`; after the
 * end, RESUME_TTL_MS.
 *
 * A stream whose copy fails (Redis gone or frozen, over the bounds) goes on for its own clients and
 * is no longer copied; its log line says `"replication":"failed"` (or `"too_large"`), and its keys
 * are removed when Redis still answers, so no instance follows a copy with a hole in it.
 *
 * @example
 * const replicator = createReplicator(redis, { instanceId, leaseMs: 10_000, heartbeatMs: 3000, flushMs: 20, maxEvents, maxBytes })
 * replicator.replicate(live.log, { ttlMs: 300_000, record })
 */
import type { RedisArgument } from '@redis/client'
import type { RequestRecord } from '../../observability/request-record'
import type { LogSink, StreamLog } from '../../streams/stream-log'
import type { RedisConnection } from './connection'
import { luaScript } from './lua-script'
import { DONE_STATE, runningState, streamKeys, type StreamKeys } from './stream-keys'

export interface ReplicatorSettings {
  /** This instance: the owner named in the state of the streams it runs. */
  instanceId: string
  /** How long a running stream's keys live without a write (the owner may have died). */
  leaseMs: number
  /** How often the keys of running streams are renewed when they had no event. */
  heartbeatMs: number
  /**
   * How long events wait to be written, so that several go in one call (0: the next tick). Only a
   * resume elsewhere waits for them; the stream's own clients never do.
   */
  flushMs: number
  /** Most events copied per stream (also the XADD MAXLEN). */
  maxEvents: number
  /** Most event bytes copied per stream. */
  maxBytes: number
  /** Where a failure noticed after a stream's log line goes (`console.log` by default). */
  log?: (line: string) => void
}

export interface Replicator {
  /** Copies `log` from its first event to its end; call it before the generation runs. */
  replicate(log: StreamLog, options: { ttlMs: number; record: RequestRecord }): void
  /** Streams being copied now. */
  readonly running: number
  close(): void
}

/**
 * KEYS: events, state. ARGV: state value, expiry ms, the first new event's number, MAXLEN,
 * '1' to add the end marker, then the new events. A stream that lost its first events (Redis
 * restarted empty) is refused rather than continued with a hole.
 */
const APPEND = luaScript(`
local seq = tonumber(ARGV[3])
if seq > 1 and redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('GAP the stream lost its first events')
end
for i = 6, #ARGV do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '0-' .. seq, 'e', ARGV[i])
  seq = seq + 1
end
if ARGV[5] == '1' then redis.call('XADD', KEYS[1], '0-' .. seq, 'end', '1') end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return seq
`)

type Failure = 'failed' | 'too_large'

export function createReplicator(redis: RedisConnection, settings: ReplicatorSettings): Replicator {
  const running = new Set<Replica>()
  const dirty = new Set<Replica>()
  let scheduled = false
  let writing = false
  /** The write under way (settled when there is none). */
  let inFlight: Promise<unknown> = Promise.resolve()
  const log = settings.log ?? console.log
  const state = runningState(settings.instanceId)

  class Replica implements LogSink {
    readonly keys: StreamKeys
    private pending: Uint8Array[] = []
    /** The number of the first pending event. */
    private next = 1
    private bytes = 0
    private ended = false
    private endWritten = false
    private failure: Failure | undefined
    private readonly streamId: string
    private readonly ttlMs: number
    private readonly record: RequestRecord

    constructor(log: StreamLog, ttlMs: number, record: RequestRecord) {
      this.streamId = log.streamId
      this.keys = streamKeys(redis, log.streamId)
      this.ttlMs = ttlMs
      this.record = record
    }

    push(bytes: Uint8Array): void {
      if (this.failure) return
      this.bytes += bytes.byteLength
      if (this.next + this.pending.length >= settings.maxEvents || this.bytes > settings.maxBytes) {
        this.fail('too_large')
        return
      }
      this.pending.push(bytes)
      markDirty(this)
    }

    close(): void {
      if (this.failure) return
      running.delete(this)
      // Redis is known to be gone: say so in the log line, written right after this.
      if (!redis.ok) this.fail('failed')
      this.ended = true
      if (!this.failure) markDirty(this)
    }

    /** The script's keys and arguments for what is pending (the state alone on a heartbeat). */
    take(): { keys: string[]; args: RedisArgument[] } {
      const events = this.pending
      const first = this.next
      this.pending = []
      this.next += events.length
      const end = this.ended && !this.endWritten
      if (end) this.endWritten = true
      const args = [
        end ? DONE_STATE : state,
        String(end ? this.ttlMs : settings.leaseMs),
        String(first),
        String(settings.maxEvents),
        end ? '1' : '0',
        ...events.map((bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
      ]
      return { keys: [this.keys.events, this.keys.state], args }
    }

    fail(failure: Failure): void {
      if (this.failure) return
      this.failure = failure
      this.pending = []
      running.delete(this)
      dirty.delete(this)
      // Before the end the stream's own log line says so; after it, a line of its own.
      if (!this.ended) this.record.set({ replication: failure })
      else {
        const line = { event: 'replication', request_id: this.record.requestId, stream_id: this.streamId }
        log(JSON.stringify({ ...line, replication: failure }))
      }
      // After the write under way: a script Redis did not have yet is sent again after its NOSCRIPT reply.
      const { events, state } = this.keys
      void inFlight.then(() => redis.run((client) => client.del([events, state]))).catch(() => {})
    }
  }

  const markDirty = (replica: Replica): void => {
    dirty.add(replica)
    if (scheduled || writing) return
    schedule()
  }

  const schedule = (): void => {
    scheduled = true
    if (settings.flushMs > 0) setTimeout(write, settings.flushMs)
    else setImmediate(write)
  }

  /** One pipeline for every stream with something new. */
  const write = (): void => {
    scheduled = false
    if (dirty.size === 0) return
    const batch = [...dirty].map((replica) => ({ replica, ...replica.take() }))
    dirty.clear()
    writing = true
    inFlight = redis
      .run((client) =>
        Promise.all(
          batch.map(({ replica, keys, args }) => APPEND.run(client, keys, args).catch(() => replica.fail('failed'))),
        ),
      )
      .catch(() => {
        for (const { replica } of batch) replica.fail('failed')
      })
      .finally(() => {
        writing = false
        if (dirty.size > 0 && !scheduled) schedule()
      })
  }

  const heartbeat = setInterval(() => {
    for (const replica of running) markDirty(replica)
  }, settings.heartbeatMs)
  ;(heartbeat as { unref?: () => void }).unref?.()

  return {
    replicate(log, { ttlMs, record }) {
      const replica = new Replica(log, ttlMs, record)
      if (!redis.ok) {
        replica.fail('failed')
        return
      }
      running.add(replica)
      markDirty(replica)
      log.observe(replica)
    },
    get running() {
      return running.size
    },
    close() {
      clearInterval(heartbeat)
    },
  }
}
