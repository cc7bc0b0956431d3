import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app'
import { encodeBatch } from '../../src/streams/copy-messages'
import { createDurableStreams } from '../../src/streams/durable-streams'
import { PRODUCER_LOST } from '../../src/streams/received-copy'
import {
  ANSWERED_TIMING,
  gateway,
  geminiFixtureText,
  parseStream,
  scenario,
  upstreamRequests,
  waitFor,
} from './helpers'

/**
 * The copy of a stream the worker runs, as its Durable Object receives it: what listeners get when
 * the producer goes away, and when the worker must stop an answer because its client left.
 */

const encoder = new TextEncoder()
const namespace = (env as unknown as { RESUMABLE_STREAMS: DurableObjectNamespace }).RESUMABLE_STREAMS

/** A producer of our own: opens the copy of `streamId` in its object. */
async function openCopy(streamId: string, api: string): Promise<WebSocket> {
  const stub = namespace.get(namespace.idFromName(streamId))
  const query = `stream_id=${streamId}&api=${api}&ttl_ms=60000&state_ttl_ms=0`
  const response = await stub.fetch(`https://resumable-stream.internal/copy?${query}`, {
    headers: { upgrade: 'websocket' },
  })
  expect(response.status).toBe(101)
  const socket = response.webSocket!
  socket.accept()
  return socket
}

const streamId = (seed: string) => seed.padEnd(24, 'x').slice(0, 24)

describe('a copy whose producer went away before its closing event', () => {
  it('on the gateway API: the events it copied, then an error event that says what happened and what to do', async () => {
    const id = streamId(`seedLost${Date.now()}`)
    const socket = await openCopy(id, 'seed')
    const events = [
      `id: ${id}:1\ndata: {"chunk":"Hel","done":false}\n\n`,
      `id: ${id}:2\ndata: {"chunk":"lo","done":false}\n\n`,
    ]
    socket.send(encodeBatch(events.map((event) => encoder.encode(event))))
    socket.close(1011, 'gone')
    const replay = await waitFor(async () => {
      const response = await gateway(`/api/streams/${id}?last_event_id=0`)
      const text = await response.text()
      return text.includes('"done":true') ? text : undefined
    }, 5000)
    expect(replay).toBe(
      `retry: 1000\n\n${events.join('')}id: ${id}:3\ndata: ${JSON.stringify({ error: PRODUCER_LOST, done: true })}\n\n`,
    )
  })

  it('on /v1/chat/completions: an OpenAI error frame, then [DONE]', async () => {
    const id = streamId(`chatLost${Date.now()}`)
    const socket = await openCopy(id, 'chat')
    const frame = `id: ${id}:1\ndata: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[]}\n\n`
    socket.send(encodeBatch([encoder.encode(frame)]))
    socket.close(1011, 'gone')
    const replay = await waitFor(async () => {
      const text = await (await gateway(`/api/streams/${id}`)).text()
      return text.includes('[DONE]') ? text : undefined
    }, 5000)
    const error = { message: PRODUCER_LOST, type: 'server_error', param: null, code: 'server_error' }
    expect(replay).toBe(
      `retry: 1000\n\n${frame}id: ${id}:2\ndata: ${JSON.stringify({ error })}\n\nid: ${id}:3\ndata: [DONE]\n\n`,
    )
  })
})

describe('an answer the worker runs, after its client left', () => {
  it('stops at the Workers limit (here 0.4 s) with an ending every listener on the object gets, and closes the upstream', async () => {
    const app = createApp({ streams: createDurableStreams(namespace as never, { afterClientLeftMs: 400 }) })
    const model = await scenario({ fixture: 'gemini-basic-long-2024.sse', delayMs: 150 })
    const call = (path: string) => Promise.resolve(app.fetch(new Request(`http://gateway.test${path}`), env))
    const response = await call(`/api/stream/chat-get?user_input=Hi&provider=gemini&model=${model}`)
    const id = response.headers.get('x-stream-id')!
    const reader = response.body!.getReader()
    await reader.read()
    const listener = await call(`/api/streams/${id}`)
    expect(listener.status).toBe(200)
    await reader.cancel()
    const events = parseStream(await listener.text()).events
    expect(events.at(-1)).toEqual({
      error:
        'gemini: the answer was stopped 0.4 s after its client left, the most a Worker runs after that (RESUME_RUNNER=object keeps answers running after a disconnect). Send the request again.',
      done: true,
      timing: ANSWERED_TIMING,
      request_id: response.headers.get('x-request-id'),
    })
    const closed = await waitFor(async () => {
      const [request] = await upstreamRequests(model)
      return request?.clientClosedEarly ? request : undefined
    }, 3000)
    expect(closed, 'the upstream request was left open').toBeDefined()
  })

  it('goes on to the end while a listener on the object holds off the grace (here 2 s)', async () => {
    const model = await scenario({ fixture: 'gemini-basic-long-2024.sse', delayMs: 900 })
    const vars = { ...env, RESUME_GRACE_MS: '2000' }
    const call = (path: string) => Promise.resolve(createApp().fetch(new Request(`http://gateway.test${path}`), vars))
    const response = await call(`/api/stream/chat-get?user_input=Hi&provider=gemini&model=${model}`)
    const id = response.headers.get('x-stream-id')!
    const reader = response.body!.getReader()
    await reader.read()
    const listener = await call(`/api/streams/${id}`)
    await reader.cancel()
    const events = parseStream(await listener.text()).events
    // The copy carries the closing event as the worker wrote it, timing included.
    expect(events.at(-1)).toMatchObject({
      chunk: '',
      done: true,
      provider: 'gemini',
      finish_reason: 'stop',
      timing: ANSWERED_TIMING,
    })
    expect(events.map((event) => event.chunk ?? '').join('')).toBe(
      await geminiFixtureText('gemini-basic-long-2024.sse'),
    )
    const [request] = await upstreamRequests(model)
    expect(request!.clientClosedEarly).toBe(false)
  })
})

describe('before the first event', () => {
  it('DELETE while the upstream still thinks reaches the producer through the object: cancelled, upstream closed', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse', headersDelayMs: 2500 })
    const response = await gateway(`/api/stream/chat-get?user_input=Hi&provider=gemini&model=${model}`)
    const id = response.headers.get('x-stream-id')!
    expect((await gateway(`/api/streams/${id}`, { method: 'DELETE' })).status).toBe(204)
    const events = parseStream(await response.text()).events
    expect(events).toEqual([
      {
        chunk: '',
        done: true,
        provider: 'gemini',
        model,
        finish_reason: 'cancelled',
        attempts: 1,
        request_id: response.headers.get('x-request-id'),
      },
    ])
    const closed = await waitFor(async () => {
      const [request] = await upstreamRequests(model)
      return request?.clientClosedEarly ? request : undefined
    }, 5000)
    expect(closed, 'the upstream request was left open').toBeDefined()
  })
})

describe('a Responses stream the worker runs', () => {
  it('GET /v1/responses/{id} while it runs: the object asks the producer for the Response so far', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse', stallAfterWrites: 2 })
    const response = await gateway('/v1/responses', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: `gemini/${model}`, input: 'Hi', stream: true }),
    })
    expect(response.status).toBe(200)
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    let raw = ''
    while (!raw.includes('response.output_text.delta')) {
      const { value, done } = await reader.read()
      if (done) break
      raw += decoder.decode(value, { stream: true })
    }
    const id = /"response":\{"id":"(resp_[^"]+)"/.exec(raw)![1]!
    const running = await gateway(`/v1/responses/${id}`)
    expect(running.status).toBe(200)
    const body = (await running.json()) as { id: string; status: string; output: { content?: { text: string }[] }[] }
    expect(body).toMatchObject({ id, status: 'in_progress' })
    expect(body.output[0]?.content?.[0]?.text.length).toBeGreaterThan(0)
    await reader.cancel()
  })
})
