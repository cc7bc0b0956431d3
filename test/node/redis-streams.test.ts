/**
 * Resumable streams in Redis, in-process: two apps, each with its own Redis connection and stream
 * host (two instances), one real redis-server (test/support/redis-server.ts), the provider emulator
 * as upstream. What one instance runs is copied to Redis byte for byte and resumes on the other;
 * DELETE and the grace reach across; with Redis gone each instance serves its own streams.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { expectedAnswer, startEmulator, type Emulator } from '../../emulator/server.ts'
import { createApp } from '../../src/app'
import type { Bindings } from '../../src/env'
import { connectRedis, type RedisConnection } from '../../src/stores/redis/connection'
import {
  createRedisStreams,
  type RedisStreamHost,
  type RedisStreamsSettings,
} from '../../src/stores/redis/redis-streams'
import { BINARY, parseEntry, type RawEntry } from '../../src/stores/redis/stream-follower'
import { upstreamVars } from '../support/gateway.ts'
import { startRedis, type RunningRedis } from '../support/redis-server.ts'
import { parseGatewayStream } from '../support/sse.ts'

const GRACE_MS = 600
const TTL_MS = 60_000

let redis: RunningRedis
let emu: Emulator
let bindings: Bindings
let prefixes = 0

interface Instance {
  connection: RedisConnection
  host: RedisStreamHost
  fetch(path: string, init?: RequestInit): Promise<Response>
}
const instances: Instance[] = []

beforeAll(async () => {
  redis = await startRedis()
  emu = await startEmulator()
  bindings = { ...upstreamVars(emu.url), RESUME_GRACE_MS: String(GRACE_MS), RESUME_TTL_MS: String(TTL_MS) }
})
afterAll(async () => {
  await emu?.close()
  await redis?.stop()
})
afterEach(async () => {
  for (const { host, connection } of instances.splice(0)) {
    await host.close()
    await connection.close()
  }
})

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** `count` instances sharing one key prefix (a fresh one per test), each ready (unless told not to wait). */
async function startInstances(count: number, ready = true, settings: RedisStreamsSettings = {}): Promise<Instance[]> {
  const prefix = `s${++prefixes}:`
  const started = Array.from({ length: count }, () => {
    const connection = connectRedis({ url: redis.url, prefix, log: () => {} })
    const host = createRedisStreams(connection, { log: () => {}, ...settings })
    const app = createApp({ streams: host, store: connection })
    const instance: Instance = {
      connection,
      host,
      fetch: async (path, init) => app.fetch(new Request(`http://gateway${path}`, init), bindings),
    }
    instances.push(instance)
    return instance
  })
  if (ready) await until(() => started.every((instance) => instance.connection.ok), 'the connections to become ready')
  return started
}

const chat = (user_input: string, init: RequestInit = {}): [string, RequestInit] => [
  '/api/stream/chat',
  {
    method: 'POST',
    ...init,
    headers: { 'content-type': 'application/json', ...init.headers },
    body: JSON.stringify({ user_input, provider: 'openai' }),
  },
]

/** What Redis holds for a stream: its entries in order and the state, read on a connection of the test's own. */
async function stored(instance: Instance, streamId: string) {
  const { client, prefix } = instance.connection
  const raw = await client.sendCommand<RawEntry[]>(['XRANGE', `${prefix}stream:${streamId}`, '-', '+'], BINARY)
  const state = await client.get(`${prefix}stream:${streamId}:state`)
  const ttl = await client.pTTL(`${prefix}stream:${streamId}`)
  return { entries: raw.map(parseEntry), state, ttl }
}

const RETRY = 'retry: 1000\n\n'

interface Read {
  /** The events read, as they came (without `retry:` and comments). */
  raw: string
  data: Record<string, unknown>[]
  lastEventId: string | undefined
}

/**
 * Reads events until `stop` says so (then cancels the body: the client leaves) or the body ends.
 * In-process the request's signal does not reach the body, so leaving is cancelling the reader.
 */
async function readEvents(response: Response, stop: (read: Read) => boolean = () => false): Promise<Read> {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  const read: Read = { raw: '', data: [], lastEventId: undefined }
  let buffer = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return read
    buffer += decoder.decode(value, { stream: true })
    for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, cut)
      buffer = buffer.slice(cut + 2)
      const data = block.split('\n').find((line) => line.startsWith('data: '))
      if (!data) continue
      read.raw += `${block}\n\n`
      read.data.push(JSON.parse(data.slice(6)) as Record<string, unknown>)
      read.lastEventId = block
        .split('\n')
        .find((line) => line.startsWith('id: '))
        ?.slice(4)
      if (stop(read)) {
        await reader.cancel()
        return read
      }
    }
  }
}

describe('resumable streams in Redis', () => {
  it('copies every event to Redis as the client got it, then the end marker; done, kept RESUME_TTL_MS', async () => {
    const [a] = await startInstances(1)
    const prompt = 'Copy me [emu chunks=12]'
    const response = await a!.fetch(...chat(prompt))
    const streamId = response.headers.get('x-stream-id')!
    const body = await response.text()
    expect(parseGatewayStream(body).text).toBe(expectedAnswer(prompt, { provider: 'openai' }))
    await until(async () => (await stored(a!, streamId)).state === 'done', 'the state to say done')
    const { entries, ttl } = await stored(a!, streamId)
    const events = entries.filter((entry) => entry.event)
    expect(entries.map((entry) => entry.seq)).toEqual(entries.map((_, i) => i + 1))
    expect(entries.at(-1)).toEqual({ seq: events.length + 1, end: true })
    expect(RETRY + events.map((entry) => Buffer.from(entry.event!).toString('utf8')).join('')).toBe(body)
    expect(ttl).toBeGreaterThan(TTL_MS - 10_000)
    expect(ttl).toBeLessThanOrEqual(TTL_MS)
  })

  it('a stream cut on one instance resumes on the other: the rest, exactly once, one upstream request', async () => {
    const [a, b] = await startInstances(2)
    emu.clearRequests()
    const prompt = 'Resume elsewhere [emu chunks=30 delay=40]'
    const response = await a!.fetch(...chat(prompt))
    const streamId = response.headers.get('x-stream-id')!
    const first = await readEvents(response, (read) => read.data.length >= 3)
    expect(first.lastEventId).toBe(`${streamId}:3`)
    const resumed = await b!.fetch(`/api/streams/${streamId}`, { headers: { 'last-event-id': first.lastEventId! } })
    expect(resumed.status).toBe(200)
    expect(resumed.headers.get('x-stream-id')).toBe(streamId)
    const rest = await resumed.text()
    expect(rest.startsWith(`${RETRY}id: ${streamId}:4\n`)).toBe(true)
    const whole = parseGatewayStream(first.raw + rest.slice(RETRY.length))
    expect(whole.text).toBe(expectedAnswer(prompt, { provider: 'openai' }))
    // Byte for byte what the first instance has: its own replay of the whole stream.
    const replay = await (await a!.fetch(`/api/streams/${streamId}`)).text()
    expect(RETRY + first.raw + rest.slice(RETRY.length)).toBe(replay)
    expect(emu.requests()).toHaveLength(1)
    expect(emu.requests()[0]).toMatchObject({ clientClosedEarly: false, outcome: 'ok' })
  })

  it('a finished stream replays from Redis on the other instance; its last id gets 204, a later one or an unknown stream 404', async () => {
    const [a, b] = await startInstances(2)
    const response = await a!.fetch(...chat('Finished [emu chunks=5]'))
    const streamId = response.headers.get('x-stream-id')!
    const body = await response.text()
    await until(async () => (await stored(a!, streamId)).state === 'done', 'the state to say done')
    expect(await (await b!.fetch(`/api/streams/${streamId}`)).text()).toBe(body)
    const count = parseGatewayStream(body).events.length
    const after2 = await (await b!.fetch(`/api/streams/${streamId}?last_event_id=2`)).text()
    expect(after2).toBe(RETRY + body.slice(body.indexOf(`id: ${streamId}:3\n`)))
    expect((await b!.fetch(`/api/streams/${streamId}?last_event_id=${count}`)).status).toBe(204)
    expect((await b!.fetch(`/api/streams/${streamId}?last_event_id=${count + 1}`)).status).toBe(404)
    expect((await b!.fetch('/api/streams/AAAAAAAAAAAAAAAAAAAAAAAA')).status).toBe(404)
    expect((await b!.fetch('/api/streams/AAAAAAAAAAAAAAAAAAAAAAAA', { method: 'DELETE' })).status).toBe(404)
    expect((await b!.fetch(`/api/streams/${streamId}`, { method: 'DELETE' })).status).toBe(204)
  })

  it('DELETE on the other instance stops the generation where it runs: its listener gets the cancelled ending', async () => {
    const [a, b] = await startInstances(2)
    emu.clearRequests()
    const response = await a!.fetch(...chat('Stop me [emu chunks=80 delay=50]'))
    const streamId = response.headers.get('x-stream-id')!
    let deleted: Promise<Response> | undefined
    const { data } = await readEvents(response, (read) => {
      if (read.data.length === 2) {
        deleted = b!.fetch(`/api/streams/${streamId}`, { method: 'DELETE' })
        deleted.catch(() => {})
      }
      return false
    })
    expect((await deleted!).status).toBe(204)
    expect(data.at(-1)).toMatchObject({ done: true, finish_reason: 'cancelled' })
    const closed = await emu.waitForRequest((entry) => entry.clientClosedEarly, 5000)
    expect(closed.chunksSent).toBeLessThan(80)
  })

  it('the grace counts listeners on other instances: aborted only RESUME_GRACE_MS after the last one left', async () => {
    const [a, b] = await startInstances(2)
    emu.clearRequests()
    const prompt = 'Keep going [emu chunks=200 delay=25]'
    const response = await a!.fetch(...chat(prompt))
    const streamId = response.headers.get('x-stream-id')!
    // The first client reads two events, then a listener on b starts, then the first client leaves.
    const reader = response.body!.getReader()
    let text = ''
    while ((text.match(/\nid: /g) ?? []).length < 2) text += new TextDecoder().decode((await reader.read()).value)
    const resumed = await b!.fetch(`/api/streams/${streamId}`)
    expect(resumed.status).toBe(200)
    await reader.cancel()
    const leftAt = Date.now()
    // b's listener keeps the answer going past three graces, then leaves too.
    const seen = await readEvents(
      resumed,
      (read) => read.data.at(-1)?.done === true || Date.now() - leftAt > 3 * GRACE_MS,
    )
    expect(seen.data.at(-1)?.done).not.toBe(true)
    expect(emu.requests()[0]!.clientClosedEarly).toBe(false)
    const goneAt = Date.now()
    const closed = await emu.waitForRequest((entry) => entry.clientClosedEarly, GRACE_MS + 10_000)
    expect(closed.clientClosedAt! - goneAt).toBeGreaterThanOrEqual(GRACE_MS)
    expect(closed.chunksSent).toBeLessThan(200)
  })

  it('a stream past the bounds goes on for its client, is no longer copied (log line: too_large) and is unknown elsewhere', async () => {
    const [a, b] = await startInstances(2, true, { maxEvents: 6 })
    const lines = captureLogLines()
    try {
      const prompt = 'Too long [emu chunks=12 delay=10]'
      const response = await a!.fetch(...chat(prompt))
      const streamId = response.headers.get('x-stream-id')!
      expect(parseGatewayStream(await response.text()).text).toBe(expectedAnswer(prompt, { provider: 'openai' }))
      expect(await lines.until((entry) => entry.stream_id === streamId)).toMatchObject({ replication: 'too_large' })
      await until(async () => (await stored(a!, streamId)).state === null, 'its keys to be removed')
      expect((await stored(a!, streamId)).entries).toEqual([])
      expect((await b!.fetch(`/api/streams/${streamId}`)).status).toBe(404)
      // Its own instance still has it.
      expect((await a!.fetch(`/api/streams/${streamId}?last_event_id=12`)).status).toBe(200)
    } finally {
      lines.restore()
    }
  })

  it('Redis killed mid-stream: the stream finishes for its client and its log line says the copy failed; unknown elsewhere; back: streams resume across again', async () => {
    const [a, b] = await startInstances(2)
    const lines = captureLogLines()
    const prompt = 'Outage [emu chunks=40 delay=30]'
    const response = await a!.fetch(...chat(prompt))
    const streamId = response.headers.get('x-stream-id')!
    const reading = readEvents(response)
    await until(async () => (await stored(a!, streamId)).entries.length >= 3, 'the first events in Redis')
    await redis.kill()
    try {
      await until(() => !a!.connection.ok && !b!.connection.ok, 'the connections to notice')
      const { raw } = await reading
      expect(parseGatewayStream(raw).text).toBe(expectedAnswer(prompt, { provider: 'openai' }))
      const line = await lines.until((entry) => entry.stream_id === streamId)
      expect(line).toMatchObject({ outcome: 'done', replication: 'failed', store: 'unavailable' })
      expect((await b!.fetch(`/api/streams/${streamId}?last_event_id=2`)).status).toBe(404)
      // A new stream meanwhile: served to its own client, not resumable elsewhere.
      const during = await a!.fetch(...chat('During [emu chunks=4]'))
      const duringId = during.headers.get('x-stream-id')!
      expect(parseGatewayStream(await during.text()).text).toBe(
        expectedAnswer('During [emu chunks=4]', { provider: 'openai' }),
      )
      expect((await b!.fetch(`/api/streams/${duringId}`)).status).toBe(404)
      expect((await b!.fetch(`/api/streams/${duringId}`, { method: 'DELETE' })).status).toBe(404)
      expect(await lines.until((entry) => entry.stream_id === duringId)).toMatchObject({ replication: 'failed' })
    } finally {
      await redis.start()
      lines.restore()
    }
    await until(() => a!.connection.ok && b!.connection.ok, 'the connections to come back')
    const again = 'Back again [emu chunks=20 delay=30]'
    const next = await a!.fetch(...chat(again))
    const nextId = next.headers.get('x-stream-id')!
    const first = await readEvents(next, (read) => read.data.length >= 3)
    const rest = await (await b!.fetch(`/api/streams/${nextId}?last_event_id=3`)).text()
    expect(parseGatewayStream(first.raw + rest.slice(RETRY.length)).text).toBe(
      expectedAnswer(again, { provider: 'openai' }),
    )
    // And DELETE reaches across again (the control channel subscribed anew).
    const stopped = await a!.fetch(...chat('Stop after [emu chunks=80 delay=50]'))
    const stoppedId = stopped.headers.get('x-stream-id')!
    const stopping = readEvents(stopped)
    await until(async () => (await stored(a!, stoppedId)).entries.length >= 1, 'the first event in Redis')
    expect((await b!.fetch(`/api/streams/${stoppedId}`, { method: 'DELETE' })).status).toBe(204)
    expect((await stopping).data.at(-1)).toMatchObject({ done: true, finish_reason: 'cancelled' })
  })

  it('instances started while Redis is down join once it is up: a stream resumes and stops across', async () => {
    await redis.kill()
    let a: Instance | undefined
    let b: Instance | undefined
    try {
      ;[a, b] = await startInstances(2, false)
      // Meanwhile each serves its own streams.
      const alone = await a!.fetch(...chat('Alone [emu chunks=3]'))
      expect(parseGatewayStream(await alone.text()).text).toBe(
        expectedAnswer('Alone [emu chunks=3]', { provider: 'openai' }),
      )
      expect((await b!.fetch(`/api/streams/${alone.headers.get('x-stream-id')}`)).status).toBe(404)
    } finally {
      await redis.start()
    }
    await until(() => a!.connection.ok && b!.connection.ok, 'the connections to come up')
    const response = await a!.fetch(...chat('Joined [emu chunks=80 delay=50]'))
    const streamId = response.headers.get('x-stream-id')!
    const reading = readEvents(response)
    await until(async () => (await stored(a!, streamId)).entries.length >= 2, 'the first events in Redis')
    const elsewhere = await b!.fetch(`/api/streams/${streamId}?last_event_id=1`)
    expect(elsewhere.status).toBe(200)
    expect((await b!.fetch(`/api/streams/${streamId}`, { method: 'DELETE' })).status).toBe(204)
    const [own, followed] = await Promise.all([reading, readEvents(elsewhere)])
    expect(own.data.at(-1)).toMatchObject({ done: true, finish_reason: 'cancelled' })
    expect(followed.raw).toBe(own.raw.slice(own.raw.indexOf(`id: ${streamId}:2\n`)))
  })

  it('Redis frozen: the stream finishes for its client, a resume elsewhere answers 404 without waiting on Redis', async () => {
    const [a, b] = await startInstances(2)
    const lines = captureLogLines()
    const prompt = 'Frozen [emu chunks=20 delay=30]'
    const response = await a!.fetch(...chat(prompt))
    const streamId = response.headers.get('x-stream-id')!
    const reading = readEvents(response)
    await until(async () => (await stored(a!, streamId)).entries.length >= 2, 'the first events in Redis')
    redis.pause()
    try {
      const { raw } = await within(10_000, reading, 'the stream')
      expect(parseGatewayStream(raw).text).toBe(expectedAnswer(prompt, { provider: 'openai' }))
      expect(await lines.until((entry) => entry.stream_id === streamId)).toMatchObject({ replication: 'failed' })
      const resumed = await within(5000, b!.fetch(`/api/streams/${streamId}?last_event_id=1`), 'the resume')
      expect(resumed.status).toBe(404)
    } finally {
      redis.resume()
      lines.restore()
    }
  })
})

/** Fails if `promise` has not settled within `ms`: the bound on a call that must never hang. */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

/** The request log lines the apps write (to console.log), parsed, until restore(). */
function captureLogLines() {
  const entries: Record<string, unknown>[] = []
  const spy = vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
    if (typeof line === 'string' && line.startsWith('{"event":"request"')) entries.push(JSON.parse(line))
  })
  return {
    async until(match: (entry: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
      await until(() => entries.some(match), 'the log line')
      return entries.find(match)!
    },
    restore: () => spy.mockRestore(),
  }
}
