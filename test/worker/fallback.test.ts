import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  bodyText,
  gateway,
  openaiFixtureText,
  parseEvents,
  postWith,
  readStream,
  scenario,
  upstreamRequests,
} from './helpers'

const GEMINI_503 = 'gemini: service unavailable or overloaded (HTTP 503). Retry in a few seconds.'

/** The closing event of `openai-chat-basic.sse` as answered by the gateway. */
const openaiDone = (attempts: number) => ({
  chunk: '',
  done: true,
  provider: 'openai',
  model: 'gpt-5-nano-2025-08-07',
  finish_reason: 'stop',
  attempts,
})

afterEach(() => vi.restoreAllMocks())

describe('fallback (FALLBACK) when the requested provider fails before its first text', () => {
  it('a provider that is down: its retries, then the next in FALLBACK answers and the closing event names it', async () => {
    const down = await scenario({ fixture: 'gemini-error-503-overloaded.json' })
    const backup = await scenario({ fixture: 'openai-chat-basic.sse' })
    const response = await postWith({ FALLBACK: `openai:${backup}`, RETRIES: '1' }, '/api/stream/chat', {
      user_input: 'Hi',
      provider: 'gemini',
      model: down,
    })
    const { events, text } = await readStream(response)
    expect(text).toBe(await openaiFixtureText('openai-chat-basic.sse'))
    for (const event of events.slice(0, -1)) expect(event).toEqual({ chunk: expect.any(String), done: false })
    expect(events.at(-1)).toEqual(openaiDone(3))
    expect((await upstreamRequests(down)).map((request) => request.status)).toEqual([503, 503])
    expect(await upstreamRequests(backup)).toHaveLength(1)
  })

  it('skips a FALLBACK entry whose provider has no key (no request, no attempt)', async () => {
    const down = await scenario({ fixture: 'gemini-error-503-overloaded.json' })
    const skipped = await scenario({ fixture: 'openai-chat-basic.sse' })
    const backup = await scenario({ fixture: 'gemini-basic.sse' })
    const lines: string[] = []
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)))
    const response = await postWith(
      { FALLBACK: `openai:${skipped}, gemini:${backup}`, RETRIES: '0', OPENAI_API_KEY: undefined },
      '/api/stream/chat',
      { user_input: 'Hi', provider: 'gemini', model: down },
    )
    const { events, text } = await readStream(response)
    expect(text).toBe('The capital of Wyoming is **Cheyenne**.\n')
    expect(events.at(-1)).toEqual({
      chunk: '',
      done: true,
      provider: 'gemini',
      model: 'gemini-2.0-flash',
      finish_reason: 'stop',
      usage: { prompt_tokens: 7, completion_tokens: 10, total_tokens: 17 },
      attempts: 2,
    })
    expect(await upstreamRequests(down)).toHaveLength(1)
    expect(await upstreamRequests(skipped)).toHaveLength(0)
    expect(await upstreamRequests(backup)).toHaveLength(1)
    const log = lines
      .map((line) => JSON.parse(line) as { event: string; attempts: unknown[] })
      .find((line) => line.event === 'request')
    expect(log?.attempts).toEqual([
      { provider: 'gemini', model: down, outcome: 'upstream_status', status: 503, ms: expect.any(Number) },
      { provider: 'gemini', model: backup, outcome: 'done', ms: expect.any(Number) },
    ])
  })

  it("Gemini's finish reason OTHER every time: its retries, then the fallback answers", async () => {
    const stopped = await scenario({ body: 'data: {"candidates": [{"finishReason": "OTHER","index": 0}]}\r\n\r\n' })
    const backup = await scenario({ fixture: 'openai-chat-basic.sse' })
    const response = await postWith({ FALLBACK: `openai:${backup}`, RETRIES: '1' }, '/api/stream/chat', {
      user_input: 'Hi',
      provider: 'gemini',
      model: stopped,
    })
    const { events, text } = await readStream(response)
    expect(text).toBe(await openaiFixtureText('openai-chat-basic.sse'))
    expect(events.at(-1)).toEqual(openaiDone(3))
    expect(await upstreamRequests(stopped)).toHaveLength(2)
  })

  it('"fallback": false opts out: the requested provider\'s error, no other provider asked', async () => {
    const down = await scenario({ fixture: 'gemini-error-503-overloaded.json' })
    const backup = await scenario({ fixture: 'openai-chat-basic.sse' })
    const response = await postWith({ FALLBACK: `openai:${backup}`, RETRIES: '1' }, '/api/stream/chat', {
      user_input: 'Hi',
      provider: 'gemini',
      model: down,
      fallback: false,
    })
    expect(parseEvents(await bodyText(response))).toEqual([{ error: GEMINI_503, done: true }])
    expect(await upstreamRequests(down)).toHaveLength(2)
    expect(await upstreamRequests(backup)).toHaveLength(0)
  })

  it('"fallback=false" works in the GET query string too', async () => {
    const down = await scenario({ fixture: 'gemini-error-503-overloaded.json' })
    const response = await gateway(`/api/stream/chat-get?user_input=Hi&provider=gemini&model=${down}&fallback=false`)
    expect(parseEvents(await bodyText(response))).toEqual([{ error: GEMINI_503, done: true }])
    expect(await upstreamRequests(down)).toHaveLength(3)
  })

  it('with everything down, the error names the last provider tried', async () => {
    const down = await scenario({ fixture: 'gemini-error-503-overloaded.json' })
    const alsoDown = await scenario({ fixture: 'openai-error-500-server-error.json' })
    const response = await postWith({ FALLBACK: `openai:${alsoDown}`, RETRIES: '0' }, '/api/stream/chat', {
      user_input: 'Hi',
      provider: 'gemini',
      model: down,
    })
    expect(parseEvents(await bodyText(response))).toEqual([
      {
        error: 'openai: server error (HTTP 500). Retry later.',
        done: true,
      },
    ])
    expect(await upstreamRequests(down)).toHaveLength(1)
    expect(await upstreamRequests(alsoDown)).toHaveLength(1)
  })

  for (const [name, fixture, message] of [
    [
      'a blocked prompt (a safety filter is not worked around)',
      'gemini-prompt-blocked.sse',
      "gemini: the prompt was blocked by Gemini's safety filters (block reason SAFETY). Rephrase the question.",
    ],
    [
      "a rejected request (400, here Gemini's invalid key)",
      'gemini-error-400-api-key-invalid.json',
      'gemini: invalid API key (HTTP 400). Check the GEMINI_API_KEY secret.',
    ],
  ] as const) {
    it(`never falls back after ${name}`, async () => {
      const model = await scenario({ fixture })
      const backup = await scenario({ fixture: 'openai-chat-basic.sse' })
      const response = await postWith({ FALLBACK: `openai:${backup}` }, '/api/stream/chat', {
        user_input: 'Hi',
        provider: 'gemini',
        model,
      })
      const events = parseEvents(await bodyText(response))
      expect(events).toEqual([{ error: message, done: true }])
      expect(await upstreamRequests(model)).toHaveLength(1)
      expect(await upstreamRequests(backup)).toHaveLength(0)
    })
  }

  it('a requested provider without a key falls back; attempts counts upstream requests, the log names it', async () => {
    const backup = await scenario({ fixture: 'openai-chat-basic.sse' })
    const lines: string[] = []
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)))
    const response = await postWith({ FALLBACK: `openai:${backup}`, GEMINI_API_KEY: undefined }, '/api/stream/chat', {
      user_input: 'Hi',
      provider: 'gemini',
    })
    const { events } = await readStream(response)
    expect(events.at(-1)).toEqual(openaiDone(1))
    expect(await upstreamRequests(backup)).toHaveLength(1)
    const log = lines
      .map((line) => JSON.parse(line) as { event: string; attempts: unknown[] })
      .find((line) => line.event === 'request')
    expect(log?.attempts).toEqual([
      { provider: 'gemini', model: 'gemini-2.5-flash', outcome: 'not_configured', ms: expect.any(Number) },
      { provider: 'openai', model: backup, outcome: 'done', ms: expect.any(Number) },
    ])
  })

  it('/api/flows/ask: the JSON names the provider that answered', async () => {
    const down = await scenario({ fixture: 'gemini-error-503-overloaded.json' })
    const backup = await scenario({ fixture: 'openai-chat-basic.sse' })
    const response = await postWith({ FALLBACK: `openai:${backup}`, RETRIES: '0' }, '/api/flows/ask', {
      user_input: 'Hi',
      provider: 'gemini',
      model: down,
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      response: await openaiFixtureText('openai-chat-basic.sse'),
      provider: 'openai',
      model: 'gpt-5-nano-2025-08-07',
      finish_reason: 'stop',
      attempts: 2,
    })
  })
})
