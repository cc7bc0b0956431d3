import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app'
import { captureLogs } from './app-call'
import {
  ANSWERED_TIMING,
  geminiFixtureText,
  inProcessApp,
  parseStream,
  scenario,
  upstreamClosedEarly,
  upstreamRequests,
  waitFor,
  withoutRequestId,
  withoutTiming,
} from './helpers'

/**
 * MAX_STREAM_BYTES bounds one resumable stream's log, in this process and in the Durable Object; and a
 * start that the Durable Object fails still answers a clear 503 and writes the request's one log line.
 */

let logs: ReturnType<typeof captureLogs> | undefined
afterEach(() => logs?.stop())

const TEXT = 'x'.repeat(100)
/** One Gemini event with 100 characters of text. */
const geminiEvent = `data: {"candidates": [{"content": {"parts": [{"text": "${TEXT}"}],"role": "model"}}]}\r\n\r\n`
/** Three gateway events of 100 characters fit in 500 bytes (164 bytes each with `id: <stream id>:<n>`); a fourth does not. */
const MAX_STREAM_BYTES = '500'
const TOO_LONG =
  'gemini: the answer grew past MAX_STREAM_BYTES (500 bytes), so it was stopped. The answer is incomplete; ask for a shorter answer, or raise MAX_STREAM_BYTES if answers this long are expected.'

/** An upstream that sends ten events and then keeps the connection open, sending nothing. */
const endless = () => scenario({ body: geminiEvent.repeat(11), stallAfterWrites: 10 })

const chatGet = (model: string) =>
  new Request(`http://gateway.test/api/stream/chat-get?user_input=Hi&provider=gemini&model=${model}`, {
    headers: { 'x-request-id': `bound-${model}` },
  })

/** The exact body: three chunks, then the closing error event with id 4; the upstream request closed. */
async function expectCut(response: Response, model: string) {
  expect(response.status).toBe(200)
  const streamId = response.headers.get('x-stream-id')!
  const event = (n: number, data: string) => `id: ${streamId}:${n}\ndata: ${data}\n\n`
  const chunk = JSON.stringify({ chunk: TEXT, done: false })
  const wire = await response.text()
  // The upstream had answered: the error event carries the log line's figures.
  const { timing } = withoutTiming(withoutRequestId(wire, `bound-${model}`))
  expect(timing).toEqual(ANSWERED_TIMING)
  const closing = JSON.stringify({ error: TOO_LONG, done: true, timing, request_id: `bound-${model}` })
  expect(wire).toBe(`retry: 1000\n\n${event(1, chunk)}${event(2, chunk)}${event(3, chunk)}${event(4, closing)}`)
  expect(new TextEncoder().encode(event(1, chunk)).byteLength).toBe(164)
  expect(await upstreamClosedEarly(model, 5000), 'the upstream request was left open').toBeDefined()
  expect(await upstreamRequests(model)).toHaveLength(1)
  return { streamId, wire, timing: timing! }
}

describe('MAX_STREAM_BYTES', () => {
  // A short idle timeout: without the bound the stream would end with it, not hang the test.
  const vars = { ...env, MAX_STREAM_BYTES, UPSTREAM_IDLE_TIMEOUT_MS: '3000' }

  it('in this process: the stream ends with an error event naming it, the upstream is closed, the log line says why', async () => {
    logs = captureLogs()
    const model = await endless()
    const app = inProcessApp()
    const { streamId, wire, timing } = await expectCut(await app.fetch(chatGet(model), vars), model)
    // Finished: a replay from the start gives the same bytes, the last id gets 204.
    const replay = await app.fetch(new Request(`http://gateway.test/api/streams/${streamId}`), vars)
    expect(await replay.text()).toBe(wire)
    const last = `http://gateway.test/api/streams/${streamId}?last_event_id=4`
    expect((await app.fetch(new Request(last), vars)).status).toBe(204)
    const lines = logs.records().filter((line) => line.request_id === `bound-${model}`)
    expect(lines).toEqual([
      expect.objectContaining({
        status: 200,
        outcome: 'max_stream_bytes',
        stream_id: streamId,
        gw_ms: timing.gw_ms,
        upstream_ms: timing.upstream_ms,
        error: { kind: 'max_stream_bytes', message: `ProviderError: ${TOO_LONG}` },
      }),
    ])
  })

  it('on /v1/chat/completions: the relayed frames up to the bound, then an error frame naming it and [DONE]', async () => {
    const frame = `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${TEXT}"},"finish_reason":null}]}\n\n`
    const model = await scenario({ body: frame.repeat(11), stallAfterWrites: 10 })
    const request = new Request('http://gateway.test/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': `bound-${model}` },
      body: JSON.stringify({ model: `openai/${model}`, messages: [{ role: 'user', content: 'Hi' }], stream: true }),
    })
    // Two frames (with their id line, 275 bytes each) fit in 700 bytes, a third does not.
    const response = await inProcessApp().fetch(request, { ...vars, MAX_STREAM_BYTES: '700' })
    expect(response.status).toBe(200)
    const streamId = response.headers.get('x-stream-id')!
    const id = (n: number) => `id: ${streamId}:${n}\n`
    expect(new TextEncoder().encode(id(1) + frame).byteLength).toBe(275)
    const error = {
      error: {
        message: TOO_LONG.replace('gemini', 'openai').replace('500 bytes', '700 bytes'),
        type: 'server_error',
        param: null,
        code: 'max_stream_bytes',
      },
      request_id: `bound-${model}`,
    }
    expect(await response.text()).toBe(
      `retry: 1000\n\n${id(1)}${frame}${id(2)}${frame}${id(3)}data: ${JSON.stringify(error)}\n\n${id(4)}data: [DONE]\n\n`,
    )
    expect(await upstreamClosedEarly(model, 5000), 'the upstream request was left open').toBeDefined()
  })

  it('in the Durable Object: the bound travels with the start, the same error event, the upstream closed', async () => {
    const model = await endless()
    const { streamId, wire } = await expectCut(await createApp().fetch(chatGet(model), vars), model)
    const replay = await createApp().fetch(new Request(`http://gateway.test/api/streams/${streamId}`), vars)
    expect(parseStream(await replay.text())).toEqual(parseStream(wire))
  })
})

describe('a start the Durable Object fails (RESUME_RUNNER=object: the object runs the answer)', () => {
  const failing = (fetch: () => Promise<Response>, runner = 'object') => ({
    ...env,
    RESUME_RUNNER: runner,
    RESUMABLE_STREAMS: { idFromName: (name: string) => name, get: () => ({ fetch }) },
  })
  const cases: [string, () => Promise<Response>, string][] = [
    [
      'throws',
      () => Promise.reject(new Error('Durable Object reset because its code was updated.')),
      'Error: Durable Object reset because its code was updated.',
    ],
    [
      'answers 409 (the object already holds a stream)',
      async () => new Response(null, { status: 409 }),
      'Error: the Durable Object already holds a stream with this id',
    ],
  ]

  it.each(cases)(
    '(its fetch %s): 503 with Retry-After, a JSON error naming what to do, one log line',
    async (_, fetch, cause) => {
      logs = captureLogs()
      const model = await scenario({ fixture: 'gemini-basic.sse' })
      const response = await createApp().fetch(chatGet(model), failing(fetch))
      expect(response.status).toBe(503)
      expect(response.headers.get('retry-after')).toBe('5')
      expect(response.headers.get('x-request-id')).toBe(`bound-${model}`)
      expect(await response.json()).toEqual({
        error:
          'gateway: the answer could not be started (the resumable stream store failed). Retry in 5 s; if it persists, check the gateway logs for this request id, or set RESUMABLE=off.',
        request_id: `bound-${model}`,
      })
      expect(logs.records()).toEqual([
        expect.objectContaining({
          request_id: `bound-${model}`,
          route: '/api/stream/chat-get',
          status: 503,
          outcome: 'error',
          error: { kind: 'error', message: 'Error: the stream host failed', cause },
        }),
      ])
      expect(logs.lines.join('\n')).not.toMatch(/\n\s+at /)
      expect(await upstreamRequests(model)).toHaveLength(0)
    },
  )

  it("on /v1/chat/completions: the 503 in OpenAI's error shape", async () => {
    const request = new Request('http://gateway.test/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'openai/any', messages: [{ role: 'user', content: 'Hi' }], stream: true }),
    })
    const response = await createApp().fetch(request, failing(cases[0]![1]))
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('5')
    expect(await response.json()).toEqual({
      error: {
        message:
          'gateway: the answer could not be started (the resumable stream store failed). Retry in 5 s; if it persists, check the gateway logs for this request id, or set RESUMABLE=off.',
        type: 'server_error',
        param: null,
        code: 'stream_store_failed',
      },
      request_id: response.headers.get('x-request-id'),
    })
  })

  const copyFails = cases.flatMap(([name, fetch]): [string, string, () => Promise<Response>, number][] => [
    ['before the end', name, fetch, 150],
    ['after the end', name, fetch, 0],
  ])
  it.each(copyFails)(
    'the worker runs the answer (the default) and the copy fails %s (its fetch %s): the client gets the whole answer, a log line says replication failed',
    async (when, _, fetch, delayMs) => {
      const captured = captureLogs()
      logs = captured
      const model = await scenario({ fixture: 'gemini-basic.sse', delayMs })
      const response = await createApp().fetch(chatGet(model), failing(fetch, 'worker'))
      expect(response.status).toBe(200)
      const streamId = response.headers.get('x-stream-id')
      const { events } = parseStream(await response.text())
      expect(events.map((event) => event.chunk ?? '').join('')).toBe(await geminiFixtureText('gemini-basic.sse'))
      expect(events.at(-1)).toMatchObject({ chunk: '', done: true, finish_reason: 'stop' })
      const request = { request_id: `bound-${model}`, status: 200, outcome: 'done' }
      const replicationLines = () =>
        captured.lines.filter((line) => line.startsWith('{"event":"replication"')).map((line) => JSON.parse(line))
      if (when === 'before the end') {
        expect(captured.records()).toEqual([expect.objectContaining({ ...request, replication: 'failed' })])
      } else {
        expect(captured.records()).toEqual([expect.objectContaining(request)])
        expect(captured.records()[0]).not.toHaveProperty('replication')
        expect(await waitFor(async () => (replicationLines().length > 0 ? true : undefined), 3000)).toBe(true)
        expect(replicationLines()).toEqual([
          { event: 'replication', request_id: `bound-${model}`, stream_id: streamId, replication: 'failed' },
        ])
      }
      expect(await upstreamRequests(model)).toHaveLength(1)
    },
  )
})
