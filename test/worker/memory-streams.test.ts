import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app'
import { ENTRY_BYTES, createMemoryStreams } from '../../src/streams/memory-streams'
import { captureLogs } from './app-call'
import { geminiFixtureText, parseStream, scenario, upstreamRequests } from './helpers'

const FIXTURE = 'gemini-basic-long-2024.sse'

describe('resumable streams in this process (Bun, Node)', () => {
  it('resumes after a drop with one upstream request, and drops the oldest finished stream past maxStreams', async () => {
    const app = createApp({ streams: createMemoryStreams({ maxStreams: 2 }) })
    const call = (path: string, init?: RequestInit) => app.fetch(new Request(`http://gateway.test${path}`, init), env)
    const model = await scenario({ fixture: FIXTURE, delayMs: 50 })
    const url = `/api/stream/chat-get?user_input=Hi&provider=gemini&model=${model}`
    const response = await call(url)
    const streamId = response.headers.get('x-stream-id')!
    const reader = response.body!.getReader()
    let raw = ''
    while (!raw.includes(`${streamId}:2\n`)) raw += new TextDecoder().decode((await reader.read()).value)
    raw = raw.slice(0, raw.indexOf('\n\n', raw.indexOf(`${streamId}:2\n`)) + 2)
    await reader.cancel()
    const first = parseStream(raw)
    const rest = parseStream(await (await call(url, { headers: { 'last-event-id': `${streamId}:2` } })).text())
    expect(rest.ids[0]).toBe(`${streamId}:3`)
    expect([...first.events, ...rest.events].map((event) => event.chunk ?? '').join('')).toBe(
      await geminiFixtureText(FIXTURE),
    )
    expect(await upstreamRequests(model)).toHaveLength(1)
    expect((await call(`/api/streams/${streamId}`)).status).toBe(200)
    const count = first.ids.length + rest.ids.length
    expect((await call(`/api/streams/${streamId}?last_event_id=${count}`)).status).toBe(204)
    expect((await call(`/api/streams/${streamId}?last_event_id=${count + 1}`)).status).toBe(404)

    // Two more finished streams: the store holds two, so the oldest finished one goes.
    for (let i = 0; i < 2; i++) {
      const other = await scenario({ fixture: FIXTURE })
      await (await call(`/api/stream/chat-get?user_input=Hi&provider=gemini&model=${other}`)).text()
    }
    expect((await call(`/api/streams/${streamId}`)).status).toBe(404)
  })

  it("RESUMABLE=off: no ids, Last-Event-ID is ignored (today's behaviour), /api/streams answers 404", async () => {
    const app = createApp({ streams: createMemoryStreams() })
    const vars = { ...env, RESUMABLE: 'off' }
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const response = await app.fetch(
      new Request(`http://gateway.test/api/stream/chat-get?user_input=Hi&provider=gemini&model=${model}`, {
        headers: { 'last-event-id': 'AAAAAAAAAAAAAAAAAAAAAAAA:1' },
      }),
      vars,
    )
    expect(response.headers.get('x-stream-id')).toBeNull()
    const parsed = parseStream(await response.text())
    expect(parsed.retry).toBe(false)
    expect(parsed.ids.every((id) => id === undefined)).toBe(true)
    expect(await upstreamRequests(model)).toHaveLength(1)
    const off = await app.fetch(new Request('http://gateway.test/api/streams/AAAAAAAAAAAAAAAAAAAAAAAA'), vars)
    expect(off.status).toBe(404)
    expect(await off.json()).toEqual({
      error: 'stream_id: no stream "AAAAAAAAAAAAAAAAAAAAAAAA": resumable streams are switched off (RESUMABLE=off)',
    })
  })

  it('bounds what it holds, running streams and ENTRY_BYTES per stream included; full of running streams, it refuses a new one with 503', async () => {
    // Two tiny finished streams (ENTRY_BYTES + ~220 bytes of events each) fit, a third does not.
    const app = createApp({ streams: createMemoryStreams({ maxBytes: 3 * ENTRY_BYTES }) })
    const call = (path: string, init?: RequestInit) => app.fetch(new Request(`http://gateway.test${path}`, init), env)
    const chat = (model: string, requestId: string) =>
      call(`/api/stream/chat-get?user_input=Hi&provider=gemini&model=${model}`, {
        headers: { 'x-request-id': requestId },
      })
    const event = (text: string, finish = '') =>
      `data: {"candidates": [{"content": {"parts": [{"text": "${text}"}],"role": "model"}${finish}}]}\r\n\r\n`
    const tiny = event('Hi', ',"finishReason": "STOP"')
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      const response = await chat(await scenario({ body: tiny }), `tiny-${i}`)
      ids.push(response.headers.get('x-stream-id')!)
      expect(parseStream(await response.text()).events.at(-1)).toMatchObject({ done: true, finish_reason: 'stop' })
    }
    // Event bytes alone (~700) are far under the bound: it is the per-stream overhead that pushed the first one out.
    expect((await call(`/api/streams/${ids[0]}`)).status).toBe(404)
    expect((await call(`/api/streams/${ids[1]}`)).status).toBe(200)

    // A running stream (two events of ENTRY_BYTES / 2 characters, then silence) pushes out the finished ones as it grows...
    const running = await scenario({ body: event('r'.repeat(ENTRY_BYTES / 2)).repeat(3), stallAfterWrites: 2 })
    const started = await chat(running, 'running')
    const reader = started.body!.getReader()
    let raw = ''
    while ((raw.match(/\ndata: /g) ?? []).length < 2) raw += new TextDecoder().decode((await reader.read()).value)
    expect((await call(`/api/streams/${ids[2]}`)).status).toBe(404)

    // ...and, holding more than 2 * ENTRY_BYTES itself, leaves no room for another: refused, nothing asked upstream.
    const logs = captureLogs()
    const refusedModel = await scenario({ body: tiny })
    const refused = await Promise.resolve(chat(refusedModel, 'refused')).finally(() => logs.stop())
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('5')
    expect(await refused.json()).toEqual({
      error:
        'gateway: too many answers are running at once (the resumable stream store is full), so this one was not started. Retry in 5 s; if it persists, run more instances or set RESUMABLE=off.',
      request_id: 'refused',
    })
    expect(await upstreamRequests(refusedModel)).toHaveLength(0)
    expect(logs.records()).toEqual([expect.objectContaining({ request_id: 'refused', status: 503, outcome: 'error' })])

    // Stopped, the running stream is finished, and a finished stream makes way for a new one.
    const streamId = started.headers.get('x-stream-id')!
    expect((await call(`/api/streams/${streamId}`, { method: 'DELETE' })).status).toBe(204)
    await reader.cancel()
    const next = await chat(await scenario({ body: tiny }), 'next')
    expect(next.status).toBe(200)
    expect(parseStream(await next.text()).events.at(-1)).toMatchObject({ done: true, finish_reason: 'stop' })
  })
})
