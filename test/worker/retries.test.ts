import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  bodyText,
  fixtureBytes,
  parseEvents,
  postWith as call,
  readStream,
  scenario,
  upstreamRequests,
} from './helpers'

const text = async (name: string): Promise<string> => new TextDecoder().decode(await fixtureBytes(name))

const GEMINI_BASIC =
  'data: {"chunk":"The","done":false}\n\n' +
  'data: {"chunk":" capital of Wyoming","done":false}\n\n' +
  'data: {"chunk":" is **Cheyenne**.\\n","done":false}\n\n'
const geminiDone = (attempts: number): string =>
  `data: {"chunk":"","done":true,"provider":"gemini","model":"gemini-2.0-flash","finish_reason":"stop","usage":{"prompt_tokens":7,"completion_tokens":10,"total_tokens":17},"attempts":${attempts}}\n\n`

const OPENAI_503 = 'openai: service unavailable or overloaded (HTTP 503). Retry in a few seconds.'

/** The JSON log lines the gateway wrote for answers while `run` ran. */
async function answerLogs(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = []
  const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)))
  const error = vi.spyOn(console, 'error').mockImplementation((line: unknown) => void lines.push(String(line)))
  try {
    await run()
  } finally {
    log.mockRestore()
    error.mockRestore()
  }
  return lines
    .filter((line) => line.startsWith('{"event":"request"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

afterEach(() => vi.restoreAllMocks())

describe('retries before the first text', () => {
  it('a 503, then the answer: the whole answer streams, with attempts: 2 and two upstream requests', async () => {
    const model = await scenario({
      fixture: 'gemini-basic.sse',
      firstRequests: [{ fixture: 'gemini-error-503-overloaded.json' }],
    })
    const response = await call({}, '/api/stream/chat', { user_input: 'Hi', provider: 'gemini', model })
    expect(await bodyText(response)).toBe(GEMINI_BASIC + geminiDone(2))
    const requests = await upstreamRequests(model)
    expect(requests.map((request) => request.status)).toEqual([503, 200])
  })

  // One rule on every route: a finish reason that is no normal end (OTHER, MALFORMED_FUNCTION_CALL) is
  // retried like a 503 while nothing reached the client.
  for (const reason of ['OTHER', 'MALFORMED_FUNCTION_CALL']) {
    it(`Gemini's finish reason ${reason} before any text, then the answer: retried, attempts: 2`, async () => {
      const model = await scenario({
        fixture: 'gemini-basic.sse',
        firstRequests: [
          { body: `data: {"candidates": [{"finishReason": "${reason}","index": 0}]}\r\n\r\n`, status: 200 },
        ],
      })
      const response = await call({}, '/api/stream/chat', { user_input: 'Hi', provider: 'gemini', model })
      expect(await bodyText(response)).toBe(GEMINI_BASIC + geminiDone(2))
      expect(await upstreamRequests(model)).toHaveLength(2)
    })
  }

  it("Gemini's finish reason OTHER after some text: the error event, no retry", async () => {
    const model = await scenario({
      body: 'data: {"candidates": [{"content": {"parts": [{"text": "Par"}],"role": "model"},"finishReason": "OTHER"}]}\r\n\r\n',
    })
    const response = await call({}, '/api/stream/chat', { user_input: 'Hi', provider: 'gemini', model })
    expect(parseEvents(await bodyText(response))).toEqual([
      { chunk: 'Par', done: false },
      {
        error:
          'gemini: the answer was stopped by the model (finish reason OTHER). The answer is incomplete; retry or rephrase the request.',
        done: true,
      },
    ])
    expect(await upstreamRequests(model)).toHaveLength(1)
  })

  it('a 429 with Retry-After: 1 waits about a second before the retry', async () => {
    const model = await scenario({
      fixture: 'gemini-basic.sse',
      firstRequests: [{ fixture: 'gemini-error-429-resource-exhausted.json', headers: { 'retry-after': '1' } }],
    })
    const startedAt = Date.now()
    const response = await call({}, '/api/stream/chat', { user_input: 'Hi', provider: 'gemini', model })
    expect(await bodyText(response)).toBe(GEMINI_BASIC + geminiDone(2))
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(900)
    expect(Date.now() - startedAt).toBeLessThan(5000)
    const [first, second] = await upstreamRequests(model)
    expect([first?.status, second?.status]).toEqual([429, 200])
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(900)
  })

  it("OpenAI's retry-after-ms is honoured too", async () => {
    const model = await scenario({
      fixture: 'openai-chat-basic.sse',
      firstRequests: [{ fixture: 'openai-error-429-rate-limit.json', headers: { 'retry-after-ms': '800' } }],
    })
    const { events } = await readStream(
      await call({}, '/api/stream/chat', { user_input: 'Hi', provider: 'openai', model }),
    )
    expect(events.at(-1)).toEqual({
      chunk: '',
      done: true,
      provider: 'openai',
      model: 'gpt-5-nano-2025-08-07',
      finish_reason: 'stop',
      attempts: 2,
    })
    const [first, second] = await upstreamRequests(model)
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(750)
    expect(second!.receivedAt - first!.receivedAt).toBeLessThan(2000)
  })

  it('Gemini\'s RetryInfo (retryDelay "1s") is honoured like Retry-After', async () => {
    const body = (await text('gemini-error-429-resource-exhausted.json')).replace('"26s"', '"1s"')
    const model = await scenario({ fixture: 'gemini-basic.sse', firstRequests: [{ body, status: 429 }] })
    const response = await call({}, '/api/stream/chat', { user_input: 'Hi', provider: 'gemini', model })
    expect(await bodyText(response)).toBe(GEMINI_BASIC + geminiDone(2))
    const [first, second] = await upstreamRequests(model)
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(900)
    expect(second!.receivedAt - first!.receivedAt).toBeLessThan(3000)
  })

  it('a Retry-After longer than 10 s is not waited for: the error at once, one request', async () => {
    const model = await scenario({ fixture: 'gemini-error-429-resource-exhausted.json' })
    const startedAt = Date.now()
    const events = parseEvents(
      await bodyText(await call({}, '/api/stream/chat', { user_input: 'Hi', provider: 'gemini', model })),
    )
    expect(events).toEqual([
      {
        error:
          'gemini: rate limit or quota exceeded (HTTP 429). Wait a little and retry, or check the plan and billing of the account.',
        done: true,
      },
    ])
    expect(Date.now() - startedAt).toBeLessThan(2000)
    expect(await upstreamRequests(model)).toHaveLength(1)
  })

  it('a provider that keeps failing is asked 1 + RETRIES times, then the error names it', async () => {
    const model = await scenario({ fixture: 'openai-error-503-overloaded.json' })
    const response = await call({ RETRIES: '3' }, '/api/stream/chat', { user_input: 'Hi', provider: 'openai', model })
    expect(parseEvents(await bodyText(response))).toEqual([{ error: OPENAI_503, done: true }])
    expect((await upstreamRequests(model)).map((request) => request.status)).toEqual([503, 503, 503, 503])
  })

  it('RETRIES=0 turns retries off', async () => {
    const model = await scenario({ fixture: 'openai-error-503-overloaded.json' })
    const response = await call({ RETRIES: '0' }, '/api/stream/chat', { user_input: 'Hi', provider: 'openai', model })
    expect(parseEvents(await bodyText(response))).toEqual([{ error: OPENAI_503, done: true }])
    expect(await upstreamRequests(model)).toHaveLength(1)
  })

  for (const [fixture, message] of [
    ['openai-error-401-invalid-api-key.json', 'openai: invalid API key (HTTP 401). Check the OPENAI_API_KEY secret.'],
    [
      'openai-error-400-unsupported-parameter.json',
      'openai: request rejected (HTTP 400). Check the model name and the request parameters.',
    ],
    [
      'openai-error-404-model-not-found.json',
      'openai: model or endpoint not found (HTTP 404). Use a valid model name (request "model" or OPENAI_MODEL) and check OPENAI_BASE_URL.',
    ],
  ] as const) {
    it(`a 4xx other than 429 is never retried (${fixture})`, async () => {
      const model = await scenario({ fixture })
      const response = await call({ RETRIES: '3' }, '/api/stream/chat', { user_input: 'Hi', provider: 'openai', model })
      expect(parseEvents(await bodyText(response))).toEqual([{ error: message, done: true }])
      expect(await upstreamRequests(model)).toHaveLength(1)
    })
  }

  it('a failure after the first piece is not retried: the pieces, then an error event', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse', dropAfterWrites: 1 })
    const response = await call({}, '/api/stream/chat', { user_input: 'Hi', provider: 'gemini', model })
    expect(await bodyText(response)).toBe(
      'data: {"chunk":"The","done":false}\n\n' +
        'data: {"error":"gemini: the connection to the provider closed before the answer was complete. The answer is incomplete; retry.","done":true}\n\n',
    )
    expect(await upstreamRequests(model)).toHaveLength(1)
  })

  it('a connection that closes before the first text is retried', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse', firstRequests: [{ dropAfterWrites: 0 }] })
    const response = await call({}, '/api/stream/chat', { user_input: 'Hi', provider: 'gemini', model })
    expect(await bodyText(response)).toBe(GEMINI_BASIC + geminiDone(2))
    expect(await upstreamRequests(model)).toHaveLength(2)
  })

  it('sends ": ping" comments while it waits to retry', async () => {
    const model = await scenario({
      fixture: 'gemini-basic.sse',
      firstRequests: [{ fixture: 'gemini-error-503-overloaded.json', headers: { 'retry-after': '1' } }],
    })
    const response = await call({ SSE_PING_INTERVAL_MS: '200' }, '/api/stream/chat', {
      user_input: 'Hi',
      provider: 'gemini',
      model,
    })
    const raw = await bodyText(response)
    const pings = raw.slice(0, raw.indexOf('data: ')).split(': ping\n\n')
    expect(pings.pop()).toBe('')
    expect(pings.every((before) => before === '')).toBe(true)
    expect(pings.length).toBeGreaterThanOrEqual(3)
    expect(raw.slice(raw.indexOf('data: '))).toBe(GEMINI_BASIC + geminiDone(2))
  })

  it('a client that leaves while the gateway waits to retry: no further upstream request', async () => {
    const model = await scenario({
      fixture: 'gemini-basic.sse',
      firstRequests: [{ fixture: 'gemini-error-503-overloaded.json', headers: { 'retry-after': '1' } }],
    })
    // RESUME_GRACE_MS=0: a client that leaves ends the answer at once (as on the direct path).
    const response = await call({ SSE_PING_INTERVAL_MS: '100', RESUME_GRACE_MS: '0' }, '/api/stream/chat', {
      user_input: 'Hi',
      provider: 'gemini',
      model,
    })
    const reader = response.body!.getReader()
    let opening = ''
    while (!opening.endsWith(': ping\n\n')) opening += new TextDecoder().decode((await reader.read()).value)
    expect(opening).toBe('retry: 1000\n\n: ping\n\n')
    await reader.cancel()
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect((await upstreamRequests(model)).map((request) => request.status)).toEqual([503])
  })

  it('the JSON answer (/api/flows/ask) retries the same way and says attempts: 2', async () => {
    const model = await scenario({
      fixture: 'gemini-basic.sse',
      firstRequests: [{ fixture: 'gemini-error-500-internal.json' }],
    })
    const response = await call({}, '/api/flows/ask', { user_input: 'Hi', provider: 'gemini', model })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      response: 'The capital of Wyoming is **Cheyenne**.\n',
      provider: 'gemini',
      model: 'gemini-2.0-flash',
      finish_reason: 'stop',
      usage: { prompt_tokens: 7, completion_tokens: 10, total_tokens: 17 },
      attempts: 2,
    })
    expect(await upstreamRequests(model)).toHaveLength(2)
  })

  it('the log line lists every attempt with its outcome', async () => {
    const model = await scenario({
      fixture: 'gemini-basic.sse',
      firstRequests: [{ fixture: 'gemini-error-503-overloaded.json' }],
    })
    const [line] = await answerLogs(async () => {
      await bodyText(await call({}, '/api/stream/chat', { user_input: 'Hi', provider: 'gemini', model }))
    })
    expect(line).toMatchObject({
      event: 'request',
      outcome: 'done',
      provider: 'gemini',
      model: 'gemini-2.0-flash',
      pieces: 3,
    })
    expect(line!.attempts).toEqual([
      { provider: 'gemini', model, outcome: 'upstream_status', status: 503, ms: expect.any(Number) },
      { provider: 'gemini', model, outcome: 'done', ms: expect.any(Number) },
    ])
  })
})
