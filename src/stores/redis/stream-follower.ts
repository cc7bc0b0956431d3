/**
 * Follows Redis streams live on one connection of its own (a blocking read holds its connection):
 * one `XREAD BLOCK` for every followed stream at once, from each one's position, so a process has
 * one reader however many streams its clients resume. The block is short (`blockMs`), so a stream
 * followed meanwhile joins within that; a reader that does not answer in time is dropped and
 * replaced. While Redis is unavailable every target is told it is lost (nothing waits on it).
 *
 * @example
 * const follower = createStreamFollower(redis, { blockMs: 200 })
 * const stop = follower.follow({ key, after: 3, deliver: (entries) => …, lost: () => … })
 */
import { RESP_TYPES } from '@redis/client'
import { type RedisClient, type RedisConnection, REDIS_DEFAULTS } from './connection'
import { entrySeq } from './stream-keys'

/** One entry of a followed stream: event `seq`'s bytes, or the end marker. */
export interface StreamEntry {
  seq: number
  event?: Uint8Array
  end?: true
}

export interface FollowTarget {
  key: string
  /** The last entry it has; the next read starts after it. */
  after: number
  deliver(entries: StreamEntry[]): void
  /** Redis cannot be read any more (gone, or the reader failed): nothing more will come. */
  lost(): void
}

export interface StreamFollower {
  /** Starts following; returns the function that stops. */
  follow(target: FollowTarget): () => void
  readonly following: number
  close(): Promise<void>
}

/** Replies as bytes, the events exactly as they were written. */
export const BINARY = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } } as const

/** An entry as Redis replies it: its id and its field/value pairs. */
export type RawEntry = [id: Buffer | string, fields: (Buffer | string)[]]

/** Reads one entry of an XRANGE or XREAD reply. */
export function parseEntry([id, fields]: RawEntry): StreamEntry {
  const entry: StreamEntry = { seq: entrySeq(String(id)) }
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = String(fields[i])
    if (name === 'e') entry.event = fields[i + 1] as Buffer
    else if (name === 'end') entry.end = true
  }
  return entry
}

/** XREAD's reply per stream key: a map in RESP3, an array of [key, entries] in RESP2. */
function streamsOf(reply: unknown): [string, RawEntry[]][] {
  if (!reply) return []
  if (Array.isArray(reply)) return reply.map(([key, entries]) => [String(key), entries as RawEntry[]])
  if (reply instanceof Map) return [...reply].map(([key, entries]) => [String(key), entries as RawEntry[]])
  return Object.entries(reply as Record<string, RawEntry[]>)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export function createStreamFollower(
  redis: RedisConnection,
  settings: { blockMs: number; timeoutMs?: number },
): StreamFollower {
  const timeoutMs = settings.timeoutMs ?? REDIS_DEFAULTS.commandTimeoutMs
  const targets = new Set<FollowTarget>()
  let reader: RedisClient | undefined
  let reading = false
  let closed = false

  const dropReader = () => {
    reader?.destroy()
    reader = undefined
  }

  const readerReady = async (): Promise<RedisClient | undefined> => {
    if (!reader) {
      reader = redis.client.duplicate()
      reader.on('error', () => {})
      reader.connect().catch(() => {})
    }
    const client = reader
    const deadline = Date.now() + timeoutMs * 3
    while (!client.isReady && Date.now() < deadline && !closed) await sleep(20)
    return client.isReady && client === reader ? client : undefined
  }

  const loseAll = () => {
    for (const target of [...targets]) {
      targets.delete(target)
      target.lost()
    }
  }

  const read = async (client: RedisClient, list: FollowTarget[]): Promise<unknown> => {
    const args = ['XREAD', 'COUNT', '1000', 'BLOCK', String(settings.blockMs), 'STREAMS']
    for (const target of list) args.push(target.key)
    for (const target of list) args.push(`0-${target.after}`)
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('XREAD unanswered')), settings.blockMs + timeoutMs)
    })
    return Promise.race([client.sendCommand(args, BINARY), late]).finally(() => clearTimeout(timer))
  }

  const loop = async (): Promise<void> => {
    reading = true
    while (targets.size > 0 && !closed) {
      const client = redis.ok ? await readerReady() : undefined
      if (!client || !redis.ok) {
        dropReader()
        loseAll()
        break
      }
      const list = [...targets]
      let reply: unknown
      try {
        reply = await read(client, list)
      } catch {
        // A reader that failed or froze is replaced; the positions are kept, so nothing is skipped.
        dropReader()
        await sleep(50)
        continue
      }
      const byKey = new Map(list.map((target) => [target.key, target]))
      for (const [key, raw] of streamsOf(reply)) {
        const target = byKey.get(key)
        if (!target || !targets.has(target) || raw.length === 0) continue
        const entries = raw.map(parseEntry)
        target.after = entries.at(-1)!.seq
        target.deliver(entries)
      }
    }
    reading = false
  }

  return {
    follow(target) {
      targets.add(target)
      if (!reading) void loop()
      return () => {
        targets.delete(target)
      }
    },
    get following() {
      return targets.size
    },
    async close() {
      closed = true
      targets.clear()
      dropReader()
    },
  }
}
