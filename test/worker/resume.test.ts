import { evictDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app'
import {
  ANSWERED_TIMING,
  gateway,
  geminiFixtureText,
  parseStream,
  scenario,
  upstreamRequests,
  waitFor,
  type GatewayEvent,
} from './helpers'

const FIXTURE = 'gemini-basic-long-2024.sse'
const decoder = new TextDecoder()

/**
 * The gateway as deployed (the worker runs the answer and copies it to the stream's object), or with
 * RESUME_RUNNER=object (the object runs it): every guarantee below holds for both.
 */
let call: typeof gateway = gateway
const inObject: typeof gateway = (path, init) =>
  Promise.resolve(
    createApp().fetch(new Request(`http://gateway.test${path}`, init), { ...env, RESUME_RUNNER: 'object' }),
  )

/** Reads until `count` events arrived; the reader stays open. */
async function take(response: Response, count: number) {
  const reader = response.body!.getReader()
  let raw = ''
  while ((raw.match(/\ndata: /g) ?? []).length < count) {
    const { value, done } = await reader.read()
    if (done) break
    raw += decoder.decode(value, { stream: true })
  }
  return { raw, reader, ...parseStream(raw) }
}

const text = (events: GatewayEvent[]) => events.map((event) => event.chunk ?? '').join('')
const chatGet = (model: string) => `/api/stream/chat-get?user_input=Hi&provider=gemini&model=${model}`

/** Starts a slow answer, reads k events, drops the connection; returns what the client has. */
async function startAndDrop(k: number, delayMs = 120) {
  const model = await scenario({ fixture: FIXTURE, delayMs })
  const response = await call(chatGet(model))
  expect(response.status).toBe(200)
  const streamId = response.headers.get('x-stream-id')!
  expect(streamId).toMatch(/^[A-Za-z0-9_-]{24}$/)
  const first = await take(response, k)
  expect(first.raw.startsWith('retry: 1000\n\nid: ')).toBe(true)
  expect(first.ids).toEqual(Array.from({ length: k }, (_, i) => `${streamId}:${i + 1}`))
  await first.reader.cancel()
  return { model, streamId, first, lastId: first.ids.at(-1)! }
}

/** The rest, read to the end, must complete the answer exactly once with one upstream request. */
async function expectCompleted(model: string, streamId: string, first: GatewayEvent[], resumed: Response, k: number) {
  expect(resumed.status).toBe(200)
  expect(resumed.headers.get('x-stream-id')).toBe(streamId)
  const rest = parseStream(await resumed.text())
  expect(rest.retry).toBe(true)
  expect(rest.ids[0]).toBe(`${streamId}:${k + 1}`)
  // The record the Durable Object rebuilt from the start's snapshot took the upstream's times.
  expect(rest.events.at(-1)).toMatchObject({
    chunk: '',
    done: true,
    provider: 'gemini',
    finish_reason: 'stop',
    timing: ANSWERED_TIMING,
  })
  expect(text([...first, ...rest.events])).toBe(await geminiFixtureText(FIXTURE))
  const requests = await upstreamRequests(model)
  expect(requests).toHaveLength(1)
  expect(requests[0]!.clientClosedEarly).toBe(false)
}

describe.each(['worker', 'object'] as const)('resumable streams (Durable Object, RESUME_RUNNER=%s)', (runner) => {
  beforeAll(() => {
    call = runner === 'worker' ? gateway : inObject
  })

  it('resumes on the same URL with Last-Event-ID (what EventSource does)', async () => {
    const { model, streamId, first, lastId } = await startAndDrop(2)
    const resumed = await call(chatGet(model), { headers: { 'last-event-id': lastId } })
    await expectCompleted(model, streamId, first.events, resumed, 2)
  })

  it('resumes on POST /api/stream/chat with Last-Event-ID', async () => {
    const { model, streamId, first, lastId } = await startAndDrop(3)
    const resumed = await call('/api/stream/chat', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'last-event-id': lastId },
      body: JSON.stringify({ user_input: 'Hi', provider: 'gemini', model }),
    })
    await expectCompleted(model, streamId, first.events, resumed, 3)
  })

  it('resumes on GET /api/streams/{id}, with ?last_event_id= or the header', async () => {
    const { model, streamId, first } = await startAndDrop(2)
    const resumed = await call(`/api/streams/${streamId}?last_event_id=2`)
    await expectCompleted(model, streamId, first.events, resumed, 2)
    const again = await call(`/api/streams/${streamId}`, { headers: { 'last-event-id': `${streamId}:1` } })
    const rest = parseStream(await again.text())
    expect(rest.ids[0]).toBe(`${streamId}:2`)
    expect(text([first.events[0]!, ...rest.events])).toBe(await geminiFixtureText(FIXTURE))
  })

  it('a finished stream: its last id gets 204, a later one 404, an earlier one the rest; an unknown id gets 204 or 404 and starts nothing', async () => {
    const model = await scenario({ fixture: FIXTURE })
    const response = await call(chatGet(model))
    const all = parseStream(await response.text())
    const lastId = all.ids.at(-1)!
    const streamId = response.headers.get('x-stream-id')!
    expect((await call(chatGet(model), { headers: { 'last-event-id': lastId } })).status).toBe(204)
    expect((await call(`/api/streams/${streamId}`, { headers: { 'last-event-id': lastId } })).status).toBe(204)
    // An id past the closing event was never sent: unknown.
    expect((await call(`/api/streams/${streamId}?last_event_id=${all.ids.length + 1}`)).status).toBe(404)
    const replay = parseStream(await (await call(`/api/streams/${streamId}?last_event_id=0`)).text())
    expect(replay.events).toEqual(all.events)
    expect(replay.ids).toEqual(all.ids)

    const unknown = 'AAAAAAAAAAAAAAAAAAAAAAAA'
    const fresh = await scenario({ fixture: FIXTURE })
    expect((await call(chatGet(fresh), { headers: { 'last-event-id': `${unknown}:3` } })).status).toBe(204)
    expect((await call(chatGet(fresh), { headers: { 'last-event-id': 'not-ours' } })).status).toBe(204)
    expect(await upstreamRequests(fresh)).toHaveLength(0)
    const missing = await call(`/api/streams/${unknown}`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({
      error: expect.stringMatching(/^stream_id: no stream "A{24}": it is unknown or expired/),
    })
    expect((await call(`/api/streams/${unknown}`, { method: 'DELETE' })).status).toBe(404)
    const bad = await call(`/api/streams/${streamId}?last_event_id=x`)
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: string }).error).toMatch(
      /^last_event_id: must be an event id of this stream/,
    )
  })

  it('DELETE closes the upstream within a second and every listener gets finish_reason "cancelled"', async () => {
    const model = await scenario({ fixture: FIXTURE, delayMs: 150 })
    const response = await call(chatGet(model))
    const streamId = response.headers.get('x-stream-id')!
    const first = await take(response, 1)
    const deletedAt = Date.now()
    expect((await call(`/api/streams/${streamId}`, { method: 'DELETE' })).status).toBe(204)
    let rest = first.raw
    for (;;) {
      const { value, done } = await first.reader.read()
      if (done) break
      rest += decoder.decode(value, { stream: true })
    }
    const events = parseStream(rest).events
    expect(events.at(-1)).toEqual({
      chunk: '',
      done: true,
      provider: 'gemini',
      model,
      finish_reason: 'cancelled',
      attempts: 1,
      timing: ANSWERED_TIMING,
      request_id: response.headers.get('x-request-id'),
    })
    const closed = await waitFor(async () => {
      const [request] = await upstreamRequests(model)
      return request?.clientClosedEarly ? request : undefined
    }, 1000)
    expect(closed, 'the upstream request was still open 1 s after DELETE').toBeDefined()
    expect(closed!.closedAt! - deletedAt).toBeLessThan(1000)
    // Stopped is finished: the closing event is replayed, its id gets 204.
    expect(
      (await call(`/api/streams/${streamId}`, { headers: { 'last-event-id': `${streamId}:${events.length}` } })).status,
    ).toBe(204)
  })

  it('two listeners each get every event exactly once, in order', async () => {
    const model = await scenario({ fixture: FIXTURE, delayMs: 60 })
    const response = await call(chatGet(model))
    const streamId = response.headers.get('x-stream-id')!
    const first = await take(response, 2)
    const second = await call(`/api/streams/${streamId}`)
    const [a, b] = await Promise.all([
      (async () => {
        let raw = first.raw
        for (;;) {
          const { value, done } = await first.reader.read()
          if (done) return parseStream(raw)
          raw += decoder.decode(value, { stream: true })
        }
      })(),
      second.text().then(parseStream),
    ])
    const expected = await geminiFixtureText(FIXTURE)
    expect(text(a.events)).toBe(expected)
    expect(text(b.events)).toBe(expected)
    expect(b.ids).toEqual(a.ids)
    expect(b.events).toEqual(a.events)
    expect(await upstreamRequests(model)).toHaveLength(1)
  })

  it('keeps reading with no client attached, and replays from storage after the object was evicted', async () => {
    const { model, streamId, first } = await startAndDrop(1, 40)
    // Nobody listens now; the object must read the upstream to its end by itself.
    const finished = await waitFor(async () => {
      const [request] = await upstreamRequests(model)
      return request?.closedAt ? request : undefined
    }, 5000)
    expect(finished?.clientClosedEarly).toBe(false)
    const namespace = (env as unknown as { RESUMABLE_STREAMS: DurableObjectNamespace }).RESUMABLE_STREAMS
    const stub = namespace.get(namespace.idFromName(streamId))
    await evictDurableObject(stub)
    const resumed = await call(`/api/streams/${streamId}?last_event_id=1`)
    await expectCompleted(model, streamId, first.events, resumed, 1)
  })

  it('a deserted stream: the upstream is aborted after RESUME_GRACE_MS, not before', async () => {
    const model = await scenario({ fixture: FIXTURE, delayMs: 400 })
    const vars = { ...env, RESUME_GRACE_MS: '1500', RESUME_RUNNER: runner }
    const app = createApp()
    const response = await app.fetch(new Request(`http://gateway.test${chatGet(model)}`), vars)
    const first = await take(response, 1)
    const leftAt = Date.now()
    await first.reader.cancel()
    await new Promise((resolve) => setTimeout(resolve, 1200))
    expect((await upstreamRequests(model))[0]!.closedAt, 'aborted before the grace ended').toBeUndefined()
    const closed = await waitFor(async () => {
      const [request] = await upstreamRequests(model)
      return request?.clientClosedEarly ? request : undefined
    }, 1500)
    expect(closed, 'still open 1 s after the grace').toBeDefined()
    expect(closed!.closedAt! - leftAt).toBeGreaterThanOrEqual(1500)
    expect(closed!.closedAt! - leftAt).toBeLessThan(2500)
    const streamId = response.headers.get('x-stream-id')!
    const rest = parseStream(
      await (await app.fetch(new Request(`http://gateway.test/api/streams/${streamId}?last_event_id=1`), vars)).text(),
    )
    expect(rest.events.at(-1)).toEqual({
      error:
        'gemini: the answer was stopped after no client was connected for 1.5 s (RESUME_GRACE_MS). Send the request again.',
      done: true,
      timing: ANSWERED_TIMING,
      request_id: response.headers.get('x-request-id'),
    })
  })
})
