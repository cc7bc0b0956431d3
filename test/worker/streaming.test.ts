import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app'
import {
  ANSWERED_TIMING,
  gateway,
  parseEvents,
  postChat,
  scenario,
  upstreamRequests,
  waitFor,
  withoutRequestId,
} from './helpers'

/** Where the client leaving stops the answer at once: the direct path, and resumable streams with no grace. */
const STOP_AT_ONCE: [string, Record<string, string>][] = [
  ['RESUMABLE=off', { RESUMABLE: 'off' }],
  ['RESUME_GRACE_MS=0', { RESUME_GRACE_MS: '0' }],
]
/** The first event, on the direct path or (with its id, after `retry:`) on a resumable stream. */
const FIRST_EVENT = /^(retry: 1000\n\nid: [\w-]{24}:1\n)?data: \{"chunk":".+","done":false\}\n\n/s
const hasEvent = (text: string) => /data: .*\n\n/s.test(text)

const decoder = new TextDecoder()

async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  done: (text: string) => boolean,
): Promise<string> {
  let text = ''
  while (!done(text)) {
    const { value, done: ended } = await reader.read()
    if (ended) break
    text += decoder.decode(value, { stream: true })
  }
  return text
}

/** Waits up to a second for the fake upstream to see the client side close the connection. */
async function expectUpstreamClosedSoon(model: string, leftAt: number): Promise<void> {
  const closed = await waitFor(async () => {
    const [request] = await upstreamRequests(model)
    return request?.clientClosedEarly ? request : undefined
  }, 1000)
  expect(closed, 'the upstream connection was still open 1 s after the client left').toBeDefined()
  expect(closed!.closedAt! - leftAt).toBeLessThan(1000)
}

describe('streaming behaviour', () => {
  for (const [provider, fixture] of [
    ['openai', 'openai-chat-basic.sse'],
    ['gemini', 'gemini-basic-long-2024.sse'],
  ] as const) {
    for (const [mode, vars] of STOP_AT_ONCE) {
      it(`${provider}: a client that leaves mid-stream closes the upstream request within a second (${mode})`, async () => {
        const model = await scenario({ fixture, delayMs: 150 })
        const response = await createApp().fetch(
          new Request('http://gateway.test/api/stream/chat', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ user_input: 'Hello', provider, model }),
          }),
          { ...env, ...vars },
        )
        const reader = response.body!.getReader()
        const first = await readUntil(reader, hasEvent)
        expect(first).toMatch(FIRST_EVENT)
        expect(first.startsWith('retry: 1000\n\n')).toBe(mode !== 'RESUMABLE=off')
        const leftAt = Date.now()
        await reader.cancel()
        await expectUpstreamClosedSoon(model, leftAt)
      })
    }
  }

  it('resumable (the default), on the network: a client that leaves does not stop the answer; DELETE does, within a second', async () => {
    const model = await scenario({ fixture: 'openai-chat-basic.sse', delayMs: 150 })
    const response = await postChat({ user_input: 'Hello', provider: 'openai', model })
    const reader = response.body!.getReader()
    expect(await readUntil(reader, hasEvent)).toMatch(FIRST_EVENT)
    await reader.cancel()
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect(
      (await upstreamRequests(model))[0]!.closedAt,
      'the grace (RESUME_GRACE_MS) keeps the answer going',
    ).toBeUndefined()
    const stoppedAt = Date.now()
    expect((await gateway(`/api/streams/${response.headers.get('x-stream-id')}`, { method: 'DELETE' })).status).toBe(
      204,
    )
    await expectUpstreamClosedSoon(model, stoppedAt)
  })

  for (const [mode, vars] of STOP_AT_ONCE) {
    it(`the app itself aborts the upstream when its response body is cancelled (any runtime, ${mode})`, async () => {
      // Called in this isolate, no runtime tears the request down for us: only the app's own abort path can close it.
      const model = await scenario({ fixture: 'openai-chat-basic.sse', delayMs: 150 })
      const response = await createApp().fetch(
        new Request('http://gateway.test/api/stream/chat', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user_input: 'Hi', provider: 'openai', model }),
        }),
        { ...env, ...vars },
      )
      const reader = response.body!.getReader()
      await readUntil(reader, hasEvent)
      const leftAt = Date.now()
      await reader.cancel()
      await expectUpstreamClosedSoon(model, leftAt)
    })
  }

  it('passes each piece on as it arrives, without waiting for the rest', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse', delayMs: 400 })
    const startedAt = Date.now()
    const response = await postChat({ user_input: 'Hello', provider: 'gemini', model })
    const reader = response.body!.getReader()
    const first = await readUntil(reader, hasEvent)
    const firstAt = Date.now() - startedAt
    expect(first).toBe(
      `retry: 1000\n\nid: ${response.headers.get('x-stream-id')}:1\ndata: {"chunk":"The","done":false}\n\n`,
    )
    // The upstream needs 2 × 400 ms more for the rest: the first piece must not wait for it.
    expect(firstAt).toBeLessThan(700)
    const rest = await readUntil(reader, (text) => text.includes('"done":true'))
    expect(parseEvents(rest).map((event) => event.chunk)).toEqual([' capital of Wyoming', ' is **Cheyenne**.\n', ''])
  })

  it('with flushHeadersEarly (Bun), opens every stream with a ": open" comment (direct path), or its "retry:" line (resumable)', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const url = `http://gateway.test/api/stream/chat-get?user_input=Hi&provider=gemini&model=${model}`
    const raw = await (
      await createApp({ flushHeadersEarly: true }).fetch(new Request(url), { ...env, RESUMABLE: 'off' })
    ).text()
    expect(raw.startsWith(': open\n\ndata: {"chunk":"The","done":false}\n\n')).toBe(true)
    expect(
      parseEvents(raw.slice(': open\n\n'.length))
        .map((event) => event.chunk)
        .join(''),
    ).toBe('The capital of Wyoming is **Cheyenne**.\n')
    const resumable = await createApp({ flushHeadersEarly: true }).fetch(new Request(url), env)
    const wire = await resumable.text()
    // The first bytes go out at once either way, so Bun sends the headers without waiting for the model.
    expect(
      wire.startsWith(
        `retry: 1000\n\nid: ${resumable.headers.get('x-stream-id')}:1\ndata: {"chunk":"The","done":false}\n\n`,
      ),
    ).toBe(true)
    expect(
      parseEvents(wire)
        .map((event) => event.chunk)
        .join(''),
    ).toBe('The capital of Wyoming is **Cheyenne**.\n')
  })

  for (const [mode, vars, framing] of [
    ['direct path', { RESUMABLE: 'off' }, /^data: \{"chunk":"Hi","done":false\}\n\n(: ping\n\n){3}$/],
    ['resumable', {}, /^retry: 1000\n\nid: [\w-]{24}:1\ndata: \{"chunk":"Hi","done":false\}\n\n(: ping\n\n){3}$/],
  ] as const) {
    it(`sends ": ping" comments while the upstream is silent (${mode})`, async () => {
      const model = await scenario({ fixture: 'openai-chat-basic.sse', stallAfterWrites: 2 })
      const app = createApp()
      const abort = new AbortController()
      const response = await app.fetch(
        new Request('http://gateway.test/api/stream/chat', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user_input: 'Hi', provider: 'openai', model }),
          signal: abort.signal,
        }),
        { ...env, ...vars, SSE_PING_INTERVAL_MS: '100', UPSTREAM_IDLE_TIMEOUT_MS: '60000' },
      )
      const reader = response.body!.getReader()
      const text = await readUntil(reader, (received) => received.split(': ping\n\n').length > 3)
      expect(text).toMatch(framing)
      await reader.cancel()
      if (mode === 'resumable')
        await gateway(`/api/streams/${response.headers.get('x-stream-id')}`, { method: 'DELETE' })
    })
  }

  it('ends a stalled answer with an error after UPSTREAM_IDLE_TIMEOUT_MS, and closes the upstream', async () => {
    const model = await scenario({ fixture: 'gemini-basic-long-2024.sse', stallAfterWrites: 1 })
    const app = createApp()
    const response = await app.fetch(
      new Request('http://gateway.test/api/stream/chat', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user_input: 'Hi', provider: 'gemini', model }),
      }),
      { ...env, SSE_PING_INTERVAL_MS: '100', UPSTREAM_IDLE_TIMEOUT_MS: '1000' },
    )
    const events = parseEvents(withoutRequestId(await response.text(), response.headers.get('x-request-id')))
    expect(events).toHaveLength(2)
    expect(events[0]).toMatchObject({ done: false, chunk: expect.stringMatching(/^\*\*Cats:\*\*/) })
    expect(events[1]).toEqual({
      error:
        'gemini: no data from the provider for 1 s (UPSTREAM_IDLE_TIMEOUT_MS), so the request was stopped. The answer is incomplete; retry later.',
      done: true,
      // The upstream had answered: the error event carries the log line's figures.
      timing: ANSWERED_TIMING,
    })
    const closed = await waitFor(async () => {
      const [request] = await upstreamRequests(model)
      return request?.clientClosedEarly ? request : undefined
    }, 1000)
    expect(closed).toBeDefined()
  })
})
