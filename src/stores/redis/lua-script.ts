/**
 * A Lua script run in one round trip: `EVALSHA` by its SHA-1, and `EVAL` with the source only when
 * Redis does not have it cached yet (first use, or after Redis restarted).
 *
 * @example
 * const incr = luaScript("return redis.call('INCR', KEYS[1])")
 * await redis.run((client) => incr.run(client, [redis.key('hits')], []))
 */
import { createHash } from 'node:crypto'
import { ErrorReply, type RedisArgument } from '@redis/client'
import type { RedisClient } from './connection'

export interface LuaScript {
  readonly source: string
  readonly sha: string
  run(client: RedisClient, keys: string[], args: RedisArgument[]): Promise<unknown>
}

export function luaScript(source: string): LuaScript {
  const sha = createHash('sha1').update(source).digest('hex')
  return {
    source,
    sha,
    async run(client, keys, args) {
      try {
        return await client.evalSha(sha, { keys, arguments: args })
      } catch (error) {
        if (!(error instanceof ErrorReply) || !error.message.startsWith('NOSCRIPT')) throw error
        return client.eval(source, { keys, arguments: args })
      }
    },
  }
}
