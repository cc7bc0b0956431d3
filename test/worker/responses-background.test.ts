/**
 * The Responses API's background mode and resume, the gateway's own, on both stream hosts (the
 * Durable Object per stream, as on Workers, and the in-process store, as on Bun and Node), with the
 * official openai SDK: `background: true`, `GET /v1/responses/{id}` (current and final),
 * `?stream=true&starting_after=N`, cancel (twice), delete, unknown ids, and `Last-Event-ID` /
 * `/api/streams/{id}` on a plain Responses stream.
 */
import { evictDurableObject, runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import OpenAI from 'openai'
import type { Response as OpenAIResponse } from 'openai/resources/responses/responses'
import { describe, expect, it } from 'vitest'
import { streamIdOf } from '../../src/apis/responses/stored'
import { readResponsesStream } from '../support/responses-sse'
import { bindings } from './app-call'
import {
  gateway,
  geminiFixtureText,
  inProcessApp,
  scenario,
  upstreamClosedEarly,
  upstreamRequests,
  waitFor,
} from './helpers'
import { rejection, sdk } from './openai-api-helpers'
import { deltaText, postResponses, readEvents, terminal, textAnswerTypes, unframe } from './responses-helpers'

const FIXTURE = 'gemini-basic-long-2024.sse'

/** The SDK against one in-process app (its memory store lives as long as the app). */
function memorySdk(extra: Record<string, unknown> = {}): {
  client: OpenAI
  fetch: (path: string, init?: RequestInit) => Promise<Response>
} {
  const app = inProcessApp()
  const binds = bindings(extra)
  const fetch = (path: string, init?: RequestInit) =>
    Promise.resolve(app.fetch(new Request(`http://gateway.test${path}`, init), binds))
  const client = new OpenAI({
    baseURL: 'http://gateway.test/v1',
    apiKey: 'unused',
    maxRetries: 0,
    fetch: (url, init) => Promise.resolve(app.fetch(new Request(url, init), binds)),
  })
  return { client, fetch }
}

const hosts: [string, () => { client: OpenAI; fetch: (path: string, init?: RequestInit) => Promise<Response> }][] = [
  ['Durable Object', () => ({ client: sdk(), fetch: (path, init) => gateway(path, init) })],
  ['in-process store', () => memorySdk()],
]

async function until(client: OpenAI, id: string, done: (response: OpenAIResponse) => boolean): Promise<OpenAIResponse> {
  const found = await waitFor(async () => {
    const response = await client.responses.retrieve(id)
    return done(response) ? response : undefined
  }, 10_000)
  expect(found, `response ${id} never reached the state waited for`).toBeDefined()
  return found!
}

/** The Response object as sent, without the `output_text` the SDK adds to some of its results. */
function wire(response: object): Record<string, unknown> {
  const { output_text: _computed, ...rest } = response as Record<string, unknown>
  return rest
}

const NOT_FOUND = (id: string) => ({
  error: {
    message: `Response with id '${id}' not found. The gateway keeps a response for RESPONSES_TTL_MS after it ended (none with store: false), and only while resumable streams are on.`,
    type: 'invalid_request_error',
    param: null,
    code: null,
  },
  request_id: expect.any(String),
})

describe.each(hosts)('background mode on the %s', (_name, make) => {
  it('answers at once with the queued response; GET returns the final one; the stream replays from any starting_after', async () => {
    const { client, fetch } = make()
    const model = await scenario({ fixture: FIXTURE })
    const queued = await client.responses.create({ model: `gemini/${model}`, input: 'Hi', background: true })
    expect(queued).toMatchObject({ object: 'response', status: 'queued', background: true, output: [], usage: null })
    expect(queued.id).toMatch(/^resp_[0-9a-f]{48}$/)
    const final = await until(client, queued.id, (response) => response.status === 'completed')
    expect(final.output_text).toBe(await geminiFixtureText(FIXTURE))
    expect(final).toMatchObject({ id: queued.id, created_at: queued.created_at, background: true })

    const all = await readEvents(await fetch(`/v1/responses/${queued.id}?stream=true`))
    expect(all.streamId).toBe(await streamIdOf(queued.id))
    expect(all.types.slice(0, 3)).toEqual(['response.created', 'response.queued', 'response.in_progress'])
    expect(all.events[0]).toMatchObject({ response: { id: queued.id, status: 'queued' } })
    expect(terminal(all.events)).toEqual(wire(final))
    for (const after of [0, 1, 4, all.events.length - 2]) {
      const response = await fetch(`/v1/responses/${queued.id}?stream=true&starting_after=${after}`)
      const rest = await readEvents(response, { from: after + 1 })
      expect(rest.events).toEqual(all.events.slice(after + 1))
    }
    // The SDK's own call, with starting_after in the query.
    const stream = await client.responses.retrieve(queued.id, { stream: true, starting_after: 2 })
    const seen: number[] = []
    for await (const event of stream) seen.push(event.sequence_number)
    expect(seen).toEqual(all.events.slice(3).map((event) => event.sequence_number))
    // After the last event: an empty stream, not an error.
    const last = all.events.length - 1
    const empty = await fetch(`/v1/responses/${queued.id}?stream=true&starting_after=${last}`)
    expect(empty.status).toBe(200)
    expect(await empty.text()).toBe('')
    expect(await upstreamRequests(model)).toHaveLength(1)
  })

  it('with stream: true the answer is the events from response.created (queued), each with its id', async () => {
    const { fetch } = make()
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const { events, types } = await readEvents(
      await fetch('/v1/responses', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: `gemini/${model}`, input: 'Hi', background: true, stream: true }),
      }),
    )
    expect(types).toEqual(textAnswerTypes(3, true))
    expect(deltaText(events)).toBe(await geminiFixtureText('gemini-basic.sse'))
    expect(terminal(events)).toMatchObject({ status: 'completed', background: true })
  })

  it('cancel closes the upstream request and ends it cancelled; a second cancel answers the same', async () => {
    const { client } = make()
    const model = await scenario({ fixture: FIXTURE, stallAfterWrites: 2 })
    const queued = await client.responses.create({ model: `gemini/${model}`, input: 'Hi', background: true })
    const running = await until(client, queued.id, (response) => response.output_text.length > 0)
    expect(running.status).toBe('in_progress')
    const cancelled = await client.responses.cancel(queued.id)
    expect(cancelled).toMatchObject({ id: queued.id, status: 'cancelled', usage: null })
    expect(cancelled.output).toMatchObject([{ type: 'message', status: 'incomplete' }])
    expect(wire(await client.responses.cancel(queued.id))).toEqual(wire(cancelled))
    expect(wire(await client.responses.retrieve(queued.id))).toEqual(wire(cancelled))
    expect(await upstreamClosedEarly(model)).toBeDefined()
    const replay = await client.responses.retrieve(queued.id, { stream: true })
    const types: string[] = []
    for await (const event of replay) types.push(event.type)
    expect(types.at(-1)).toBe('response.incomplete')
  })

  it('delete forgets it: then GET, cancel and delete are 404 in OpenAI’s shape', async () => {
    const { client, fetch } = make()
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const queued = await client.responses.create({ model: `gemini/${model}`, input: 'Hi', background: true })
    await until(client, queued.id, (response) => response.status === 'completed')
    const deleted = await fetch(`/v1/responses/${queued.id}`, { method: 'DELETE' })
    expect(await deleted.json()).toEqual({ id: queued.id, object: 'response.deleted', deleted: true })
    for (const [path, method] of [
      [`/v1/responses/${queued.id}`, 'GET'],
      [`/v1/responses/${queued.id}?stream=true`, 'GET'],
      [`/v1/responses/${queued.id}/cancel`, 'POST'],
      [`/v1/responses/${queued.id}`, 'DELETE'],
    ] as const) {
      const response = await fetch(path, { method })
      expect(response.status, `${method} ${path}`).toBe(404)
      expect(await response.json()).toEqual(NOT_FOUND(queued.id))
    }
    expect(await rejection(client.responses.retrieve(queued.id))).toBeInstanceOf(OpenAI.NotFoundError)
  })

  it('a failure before any output is response.failed in the stream, the response "failed"', async () => {
    const { client } = make()
    const model = await scenario({ fixture: 'gemini-error-404-model-not-found.json' })
    const queued = await client.responses.create({ model: `gemini/${model}`, input: 'Hi', background: true })
    expect(queued.status).toBe('queued')
    const failed = await until(client, queued.id, (response) => response.status === 'failed')
    expect(failed.error).toEqual({ code: 'server_error', message: expect.stringMatching(/^gemini: /) })
    const replay = await client.responses.retrieve(queued.id, { stream: true })
    const types: string[] = []
    await rejection(
      (async () => {
        for await (const event of replay) types.push(event.type)
      })(),
    )
    expect(types).toEqual(['response.created', 'response.queued', 'response.in_progress'])
  })
})

describe('responses the gateway does not know', () => {
  it.each([
    ['GET', 'resp_0123456789abcdef0123456789abcdef0123456789abcdef'],
    ['GET', 'not-a-response-id'],
    ['POST', 'resp_0123456789abcdef0123456789abcdef0123456789abcdef/cancel'],
    ['DELETE', 'resp_0123456789abcdef0123456789abcdef0123456789abcdef'],
  ])('%s /v1/responses/%s: 404 in OpenAI’s shape', async (method, path) => {
    const response = await gateway(`/v1/responses/${path}`, { method })
    expect(response.status).toBe(404)
    expect(await response.json()).toEqual(NOT_FOUND(path.replace('/cancel', '')))
  })

  it('starting_after that is not a sequence number: 400 naming it', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const queued = await sdk().responses.create({ model: `gemini/${model}`, input: 'Hi', background: true })
    const response = await gateway(`/v1/responses/${queued.id}?stream=true&starting_after=-1`)
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({
      error: { param: 'starting_after', message: 'starting_after: must be a sequence_number (an integer from 0)' },
    })
  })
})

describe('background answers are not deserted', () => {
  it('RESUME_GRACE_MS=0: a background answer still runs to its end with nobody listening', async () => {
    const { client } = memorySdk({ RESUME_GRACE_MS: '0' })
    const model = await scenario({ fixture: FIXTURE, delayMs: 30 })
    const queued = await client.responses.create({ model: `gemini/${model}`, input: 'Hi', background: true })
    const final = await until(client, queued.id, (response) => response.status === 'completed')
    expect(final.output_text).toBe(await geminiFixtureText(FIXTURE))
    expect((await upstreamRequests(model))[0]!.clientClosedEarly).toBe(false)
  })

  it('after the Durable Object was evicted, GET and the replay come from its storage', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const client = sdk()
    const queued = await client.responses.create({ model: `gemini/${model}`, input: 'Hi', background: true })
    const final = await until(client, queued.id, (response) => response.status === 'completed')
    const before = await (await gateway(`/v1/responses/${queued.id}?stream=true`)).text()
    const namespace = (env as unknown as { RESUMABLE_STREAMS: DurableObjectNamespace }).RESUMABLE_STREAMS
    const streamId = await streamIdOf(queued.id)
    const stub = namespace.get(namespace.idFromName(streamId))
    // The events and the state are written once the answer ended, just after its last event.
    const persisted = await waitFor(
      () =>
        runInDurableObject(stub, async (_object, state) =>
          (await state.storage.get('state:meta')) ? true : undefined,
        ),
      5000,
    )
    expect(persisted).toBe(true)
    await evictDurableObject(stub)
    expect(await client.responses.retrieve(queued.id)).toEqual(final)
    expect(await (await gateway(`/v1/responses/${queued.id}?stream=true`)).text()).toBe(before)
  })
})

describe('a plain /v1/responses stream is resumable', () => {
  /** Starts a slow answer, reads `count` events and drops the connection. */
  async function startAndDrop(count: number) {
    const model = await scenario({ fixture: FIXTURE, delayMs: 60 })
    const response = await postResponses({ model: `gemini/${model}`, input: 'Hi', stream: true })
    const streamId = response.headers.get('x-stream-id')!
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    let wire = ''
    while ((wire.match(/\ndata: /g) ?? []).length < count) wire += decoder.decode((await reader.read()).value)
    await reader.cancel()
    // The first `count` events (after `retry: 1000`), whatever else arrived in the same reads.
    const blocks = wire.split('\n\n')
    const head = `${blocks.slice(0, count + 1).join('\n\n')}\n\n`
    return { model, streamId, head }
  }

  it('with Last-Event-ID on a repeated POST: the rest, once, from the same upstream request', async () => {
    const { model, streamId, head } = await startAndDrop(4)
    const resumed = await postResponses(
      { model: `gemini/${model}`, input: 'Hi', stream: true },
      { 'last-event-id': `${streamId}:4` },
    )
    expect(resumed.headers.get('x-stream-id')).toBe(streamId)
    const rest = unframe(await resumed.text(), streamId, 5)
    const events = readResponsesStream(unframe(head, streamId) + rest)
    expect(deltaText(events)).toBe(await geminiFixtureText(FIXTURE))
    expect(await upstreamRequests(model)).toHaveLength(1)
  })

  it('GET /api/streams/{id} replays it, DELETE ends it with response.incomplete "cancelled"', async () => {
    const { model, streamId, head } = await startAndDrop(2)
    const response = await gateway(`/api/streams/${streamId}`, { method: 'DELETE' })
    expect(response.status).toBe(204)
    const replay = await gateway(`/api/streams/${streamId}?last_event_id=2`)
    const events = readResponsesStream(unframe(head, streamId) + unframe(await replay.text(), streamId, 3))
    expect(events.at(-1)).toMatchObject({ type: 'response.incomplete', response: { status: 'cancelled' } })
    expect(await upstreamClosedEarly(model)).toBeDefined()
  })
})
