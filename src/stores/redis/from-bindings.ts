/**
 * REDIS_URL and REDIS_KEY_PREFIX for the Bun and Node entries: the connection (none without
 * REDIS_URL, and then the app keeps everything in this process as before) and the app options
 * that put the gateway's shared state in it: rate-limit counts and resumable streams.
 *
 * @example
 * const redis = connectRedisFromBindings(process.env)
 * const app = createApp({ ...redisAppOptions(redis), staticFiles })
 */
import type { AppOptions } from '../../app'
import { type Bindings, readConfig } from '../../env'
import { connectRedis, type RedisConnection } from './connection'
import { createRedisBudgetLedger } from './budget-ledger'
import { createRedisRateLimiter } from './rate-limiter'
import { createRedisStreams } from './redis-streams'

/** Undefined without REDIS_URL. Throws at start-up on a URL that is not `redis://` or `rediss://`. */
export function connectRedisFromBindings(bindings: Bindings): RedisConnection | undefined {
  const { redisUrl, redisKeyPrefix } = readConfig(bindings)
  if (!redisUrl) return undefined
  // The message never repeats the URL: it may hold a password.
  if (!URL.canParse(redisUrl) || !/^rediss?:$/.test(new URL(redisUrl).protocol)) {
    throw new Error('REDIS_URL must look like redis://[:password@]host:port[/db] (rediss:// for TLS)')
  }
  return connectRedis({ url: redisUrl, prefix: redisKeyPrefix })
}

/** The app options that keep rate-limit counts, token budgets and resumable streams (and report the store) in Redis; none without it. */
export function redisAppOptions(
  redis: RedisConnection | undefined,
): Pick<AppOptions, 'rateLimiter' | 'store' | 'budgetLedger' | 'streams'> {
  if (!redis) return {}
  // A stream settles its reservation where it runs: into the same ledger the request reserved in.
  const budgetLedger = createRedisBudgetLedger(redis)
  return {
    store: redis,
    rateLimiter: (spec) => createRedisRateLimiter(redis, spec),
    budgetLedger,
    streams: createRedisStreams(redis, { budgetLedger }),
  }
}
