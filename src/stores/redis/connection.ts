/**
 * The gateway's one connection to Redis (Bun and Node only; nothing on the Workers path imports
 * this): a node-redis client that reconnects with backoff, a health flag `ok`, the key prefix,
 * and `run()`, which gives every command a short deadline so that a Redis that is gone or frozen
 * never holds a request up. Whatever uses Redis (rate limits, streams, budgets) calls `run()`
 * and, when it throws, falls back to this process.
 *
 * @example
 * const redis = connectRedis({ url: 'redis://127.0.0.1:6379', prefix: 'llm-gw:' })
 * const hits = await redis.run((client) => client.incr(redis.key('hits')))  // llm-gw:hits
 * redis.ok // false while Redis is unreachable; the client keeps reconnecting
 * await redis.close()
 */
import { createClient, ErrorReply, type RedisClientType } from '@redis/client'
import type { StoreStatus } from '../status'

export type RedisClient = RedisClientType

export interface RedisConnectionOptions {
  /** REDIS_URL: `redis://[:password@]host:port[/db]`, or `rediss://` for TLS. */
  url: string
  /** REDIS_KEY_PREFIX, prepended by {@link RedisConnection.key}. */
  prefix: string
  /** The longest a command may take before Redis counts as unavailable. */
  commandTimeoutMs?: number
  /** How often Redis is pinged after a command went unanswered, until it answers again. */
  probeIntervalMs?: number
  /** Where the lines saying that Redis went away or came back go (`console.log` by default). */
  log?: (line: string) => void
}

export interface RedisConnection extends StoreStatus {
  readonly kind: 'redis'
  /** The node-redis client. Prefer {@link run}: a bare command waits for Redis as long as it takes. */
  readonly client: RedisClient
  readonly prefix: string
  /** `key('rate', '60s', 'ip:10.0.0.7')` → `llm-gw:rate:60s:ip:10.0.0.7`. */
  key(...parts: string[]): string
  /**
   * Runs commands within the deadline. Throws {@link RedisUnavailableError} at once while Redis
   * is unavailable, and when Redis does not answer in time (it then counts as unavailable until
   * a PING gets through). An error reply (a bad command or script) passes through unchanged.
   */
  run<T>(commands: (client: RedisClient) => Promise<T>): Promise<T>
  close(): Promise<void>
}

/** Redis could not be reached or did not answer in time: use this process's state instead. */
export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError'
}

export const REDIS_DEFAULTS = { commandTimeoutMs: 300, probeIntervalMs: 1000, connectTimeoutMs: 1000 } as const

/** Reconnect delay: 100 ms doubling to at most 2 s, plus up to 100 ms of jitter so instances spread out. */
export function reconnectDelay(retries: number): number {
  return Math.min(2000, 100 * 2 ** Math.min(retries, 5)) + Math.floor(Math.random() * 100)
}

/** `Name: message`, short, for the log line (node-redis errors name the address, never the password). */
function errorSummary(error: unknown): string {
  return (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 200)
}

export function connectRedis(options: RedisConnectionOptions): RedisConnection {
  const timeoutMs = options.commandTimeoutMs ?? REDIS_DEFAULTS.commandTimeoutMs
  const probeMs = options.probeIntervalMs ?? REDIS_DEFAULTS.probeIntervalMs
  const log = options.log ?? console.log
  const client: RedisClient = createClient({
    url: options.url,
    // Offline, a command fails at once instead of waiting in a queue for the reconnect.
    disableOfflineQueue: true,
    socket: { connectTimeout: REDIS_DEFAULTS.connectTimeoutMs, reconnectStrategy: reconnectDelay },
  })
  /** A command went unanswered on a connection that is still open (a frozen or overloaded server). */
  let stalled = false
  let probe: ReturnType<typeof setInterval> | undefined
  let reported: boolean | undefined
  let closed = false
  const isOk = () => !closed && client.isReady && !stalled

  /** One line each time Redis goes away or comes back (never one per reconnect attempt). */
  const report = (cause?: unknown) => {
    const ok = isOk()
    if (ok === reported || closed) return
    reported = ok
    log(JSON.stringify({ event: 'store', store: 'redis', ok, ...(!ok && cause ? { error: errorSummary(cause) } : {}) }))
  }
  const stopProbing = () => {
    clearInterval(probe)
    probe = undefined
  }
  const stall = (cause: unknown) => {
    stalled = true
    report(cause)
    if (probe) return
    probe = setInterval(() => {
      withDeadline(client.ping()).then(
        () => {
          stalled = false
          stopProbing()
          report()
        },
        () => {},
      )
    }, probeMs)
    probe.unref?.()
  }
  const withDeadline = <T>(command: Promise<T>): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new RedisUnavailableError(`Redis did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      )
    })
    return Promise.race([command, deadline]).finally(() => clearTimeout(timer))
  }

  client.on('ready', () => {
    stalled = false
    stopProbing()
    report()
  })
  // Without an 'error' listener node-redis would throw the error and end the process.
  client.on('error', (error: unknown) => report(error))
  client.on('reconnecting', () => report())
  client.on('end', () => report())
  // The first attempt may fail too (Redis not up yet): the client keeps trying with the same backoff.
  client.connect().catch((error: unknown) => report(error))

  return {
    kind: 'redis',
    client,
    prefix: options.prefix,
    get ok() {
      return isOk()
    },
    key: (...parts) => options.prefix + parts.join(':'),
    async run(commands) {
      if (!isOk()) throw new RedisUnavailableError('Redis unavailable')
      try {
        return await withDeadline(commands(client))
      } catch (error) {
        if (error instanceof ErrorReply) throw error
        if (!closed) stall(error)
        throw error instanceof RedisUnavailableError
          ? error
          : new RedisUnavailableError(errorSummary(error), { cause: error })
      }
    },
    async close() {
      closed = true
      stopProbing()
      // Reconnecting, a graceful close would wait for the connection: drop it instead.
      if (client.isReady) await client.close().catch(() => client.destroy())
      else if (client.isOpen) client.destroy()
    },
  }
}
