import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app'
import { createMemoryStreams } from '../../src/streams/memory-streams'
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
})
