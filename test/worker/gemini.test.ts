import { describe, expect, it } from 'vitest'
import { geminiFixtureText, postChat, readStream, scenario, upstreamRequests } from './helpers'

async function streamFixture(definition: Parameters<typeof scenario>[0], body: Record<string, unknown> = {}) {
  const model = await scenario(definition)
  const response = await postChat({ user_input: 'Hello', provider: 'gemini', model, ...body })
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
  return { model, ...(await readStream(response)) }
}

describe('Gemini: recorded answers reach the client byte for byte', () => {
  const answers: [string, Record<string, unknown>][] = [
    [
      'gemini-basic.sse',
      {
        model: 'gemini-2.0-flash',
        finish_reason: 'stop',
        usage: { prompt_tokens: 7, completion_tokens: 10, total_tokens: 17 },
      },
    ],
    ['gemini-basic-long-2024.sse', { finish_reason: 'stop' }],
    // modelVersion "models/gemini-2.5-flash-preview-05-20": the prefix is dropped.
    [
      'gemini-2.5-flash.sse',
      {
        model: 'gemini-2.5-flash-preview-05-20',
        finish_reason: 'stop',
        // Thoughts count as completion tokens (44 + 186) and as reasoning.
        usage: { prompt_tokens: 5, completion_tokens: 230, total_tokens: 235, reasoning_tokens: 186 },
      },
    ],
    // The last chunk holds an empty text part with a thoughtSignature: no empty event.
    ['gemini-3-empty-text-signature.reframed.sse', { model: 'gemini-3-pro-preview', finish_reason: 'stop' }],
    // executableCode and codeExecutionResult parts are not answer text; tool-use prompt tokens count as
    // prompt tokens (21 + 243).
    [
      'gemini-code-execution.sse',
      {
        finish_reason: 'stop',
        usage: { prompt_tokens: 264, completion_tokens: 221, total_tokens: 485, reasoning_tokens: 95 },
      },
    ],
    // A chunk with no parts and a last chunk with only inlineData.
    ['gemini-no-parts-chunk.sse', { finish_reason: 'stop' }],
    ['gemini-multibyte.sse', { finish_reason: 'stop' }],
  ]
  for (const [fixture, last] of answers) {
    it(fixture, async () => {
      const expected = await geminiFixtureText(fixture)
      const { text, events } = await streamFixture({ fixture })
      expect(expected.length).toBeGreaterThan(0)
      expect(text).toBe(expected)
      for (const event of events.slice(0, -1))
        expect(event).toEqual({ chunk: expect.stringMatching(/.+/s), done: false })
      expect(events.at(-1)).toMatchObject({ chunk: '', done: true, provider: 'gemini', ...last })
    })
  }

  it('keeps multi-byte characters whole when the network splits them (5-byte reads)', async () => {
    const fixture = 'gemini-multibyte.sse'
    const { text } = await streamFixture({ fixture, chunking: { bytes: 5 } })
    expect(text).toBe(await geminiFixtureText(fixture))
    expect(text.startsWith('秋风瑟瑟，叶落纷纷，\n')).toBe(true)
  })

  it('never streams thought parts', async () => {
    const { text, events } = await streamFixture({ fixture: 'gemini-thinking.sse' })
    expect(text).toBe(await geminiFixtureText('gemini-thinking.sse'))
    expect(text.startsWith('The sky is blue because')).toBe(true)
    expect(text).not.toContain('Exploring Sky Color')
    // One definition of usage: the thoughts are output (48 + 540) and also reasoning.
    expect(events.at(-1)).toEqual({
      chunk: '',
      done: true,
      provider: 'gemini',
      model: 'gemini-2.5-flash',
      finish_reason: 'stop',
      usage: { prompt_tokens: 10, completion_tokens: 588, total_tokens: 598, reasoning_tokens: 540 },
      attempts: 1,
    })
  })

  it('sends the request the API expects: key header, v1beta path, alt=sse, roles, system instruction', async () => {
    const { model } = await streamFixture(
      { fixture: 'gemini-basic.sse' },
      {
        system: 'Be brief.',
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello!' },
        ],
        temperature: 0.2,
        max_tokens: 64,
      },
    )
    const [request] = await upstreamRequests(model)
    expect(request?.path).toBe(`/v1beta/models/${model}:streamGenerateContent?alt=sse`)
    expect(request?.headers['x-goog-api-key']).toBe('test-gemini-key')
    expect(request?.body).toMatchObject({
      contents: [
        { role: 'user', parts: [{ text: 'Hi' }] },
        { role: 'model', parts: [{ text: 'Hello!' }] },
        { role: 'user', parts: [{ text: 'Hello' }] },
      ],
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      generationConfig: { temperature: 0.2, maxOutputTokens: 64 },
    })
  })
})

describe('Gemini: blocked or stopped answers end with a clear error, never silence', () => {
  it('a blocked prompt (HTTP 200, promptFeedback.blockReason)', async () => {
    const { raw } = await streamFixture({ fixture: 'gemini-prompt-blocked.sse' })
    expect(raw).toBe(
      `data: ${JSON.stringify({ error: "gemini: the prompt was blocked by Gemini's safety filters (block reason SAFETY). Rephrase the question.", done: true })}\n\n`,
    )
  })

  it('a SAFETY finish after some text', async () => {
    const { events } = await streamFixture({ fixture: 'gemini-safety-finish.sse' })
    expect(events).toEqual([
      { chunk: 'No', done: false },
      {
        error:
          "gemini: the answer was stopped by Gemini's safety filters (finish reason SAFETY). The answer is incomplete; rephrase the question.",
        done: true,
      },
    ])
  })

  it('a RECITATION finish on a candidate with no content', async () => {
    const { events } = await streamFixture({ fixture: 'gemini-recitation.sse' })
    expect(
      events
        .slice(0, -1)
        .map((event) => event.chunk)
        .join(''),
    ).toBe('text1text2text3text4text5text6text7text8')
    expect(events.at(-1)).toEqual({
      error:
        'gemini: the answer was stopped because it was reciting existing material (finish reason RECITATION). The answer is incomplete; rephrase the question.',
      done: true,
    })
  })
})

describe('Gemini: every failure ends with one clear error event', () => {
  const cases: [string, string][] = [
    ['gemini-error-400-api-key-invalid.json', 'gemini: invalid API key (HTTP 400). Check the GEMINI_API_KEY secret.'],
    [
      'gemini-error-400-api-key-invalid.firebase.json',
      'gemini: invalid API key (HTTP 400). Check the GEMINI_API_KEY secret.',
    ],
    [
      'gemini-error-403-no-api-key.json',
      'gemini: access denied (HTTP 403). Check that GEMINI_API_KEY is valid and allowed to use this API and model.',
    ],
    [
      'gemini-error-404-model-not-found.json',
      'gemini: model or endpoint not found (HTTP 404). Use a valid model name (request "model" or GEMINI_MODEL) and check GEMINI_BASE_URL.',
    ],
    [
      'gemini-error-429-resource-exhausted.json',
      'gemini: rate limit or quota exceeded (HTTP 429). Wait a little and retry, or check the plan and billing of the account.',
    ],
    ['gemini-error-500-internal.json', 'gemini: server error (HTTP 500). Retry later.'],
    [
      'gemini-error-503-overloaded.json',
      'gemini: service unavailable or overloaded (HTTP 503). Retry in a few seconds.',
    ],
  ]
  for (const [fixture, message] of cases) {
    it(`${fixture} (sent with Content-Type text/event-stream, as Google does)`, async () => {
      const { raw } = await streamFixture({ fixture })
      expect(raw).toBe(`data: ${JSON.stringify({ error: message, done: true })}\n\n`)
    })
  }

  const midStreamError =
    'gemini: the provider reported an error during the answer (503, service unavailable or overloaded). The answer is incomplete. Retry in a few seconds.'

  // Gemini's mid-stream error: the error object follows a 200 and some events. (index.json gives this constructed
  // fixture a 503 status; that case is the last test of this group.)
  it('a bare error object in the middle of a 200 stream, in its own network read', async () => {
    const { raw } = await streamFixture({
      fixture: 'gemini-midstream-error-503.constructed.sse',
      status: 200,
      delayMs: 5,
    })
    // The only text before the error was thought parts, so the error is the only event.
    expect(raw).toBe(`data: ${JSON.stringify({ error: midStreamError, done: true })}\n\n`)
  })

  it('a bare error object in the middle of a 200 stream, in the same read as the events before it', async () => {
    const { raw } = await streamFixture({
      fixture: 'gemini-midstream-error-503.constructed.sse',
      status: 200,
      chunking: 'whole',
    })
    expect(raw).toBe(`data: ${JSON.stringify({ error: midStreamError, done: true })}\n\n`)
  })

  it('a bare error object after answer text, split across reads', async () => {
    const body =
      'data: {"candidates": [{"content": {"parts": [{"text": "Partial"}],"role": "model"}}]}\r\n\r\n' +
      '{\n  "error": {\n    "code": 500,\n    "message": "Internal error encountered.",\n    "status": "INTERNAL"\n  }\n}\n'
    const { events } = await streamFixture({ body, chunking: { bytes: 40 } })
    expect(events).toEqual([
      { chunk: 'Partial', done: false },
      {
        error:
          'gemini: the provider reported an error during the answer (500, server error). The answer is incomplete. Retry later.',
        done: true,
      },
    ])
  })

  it('the same body sent with a 503 status', async () => {
    const { raw } = await streamFixture({ fixture: 'gemini-midstream-error-503.constructed.sse' })
    const message = 'gemini: service unavailable or overloaded (HTTP 503). Retry in a few seconds.'
    expect(raw).toBe(`data: ${JSON.stringify({ error: message, done: true })}\n\n`)
  })

  // Each stray line is read once: 60,000 lines that open an error object and 60,000 that close one cost
  // linear time (reading them all again at each `}` took minutes), and the real error object after them
  // is still found. The test timeout bounds it (small network reads: the worker's clock runs between them).
  it('a real error object after 780 KB of {"error":1 / } line pairs', async () => {
    const body =
      'data: {"candidates": [{"content": {"parts": [{"text": "Hi"}],"role": "model"}}]}\r\n\r\n' +
      '{"error":1\n}\n'.repeat(60_000) +
      '{\n  "error": {\n    "code": 503,\n    "message": "Overloaded",\n    "status": "UNAVAILABLE"\n  }\n}\n'
    const { raw } = await streamFixture({ body, status: 200, chunking: { bytes: 4096 } })
    expect(raw).toBe(
      'data: {"chunk":"Hi","done":false}\n\n' +
        `data: ${JSON.stringify({ error: 'gemini: the provider reported an error during the answer (503, service unavailable or overloaded). The answer is incomplete. Retry in a few seconds.', done: true })}\n\n`,
    )
  })

  it('a connection dropped mid-stream', async () => {
    const fixture = 'gemini-basic-long-2024.sse'
    const { events } = await streamFixture({ fixture, dropAfterWrites: 3 })
    const text = events
      .slice(0, -1)
      .map((event) => event.chunk)
      .join('')
    expect(text.length).toBeGreaterThan(0)
    expect((await geminiFixtureText(fixture)).startsWith(text)).toBe(true)
    expect(events.at(-1)).toEqual({
      error:
        'gemini: the connection to the provider closed before the answer was complete. The answer is incomplete; retry.',
      done: true,
    })
  })

  it('a clean close before any finishReason', async () => {
    const { events } = await streamFixture({
      body: 'data: {"candidates": [{"content": {"parts": [{"text": "Half"}],"role": "model"}}]}\r\n\r\n',
    })
    expect(events).toEqual([
      { chunk: 'Half', done: false },
      {
        error:
          'gemini: the connection to the provider closed before the answer was complete. The answer is incomplete; retry.',
        done: true,
      },
    ])
  })

  it('malformed data mid-stream', async () => {
    const { events } = await streamFixture({
      body: 'data: {"candidates": [{"content": {"parts": [{"text": "Ok"}],"role": "model"}}]}\r\n\r\ndata: {"candidates": [oops\r\n\r\n',
    })
    expect(events).toEqual([
      { chunk: 'Ok', done: false },
      {
        error:
          'gemini: the provider sent data that is not a valid stream. The answer is incomplete; retry, and check that GEMINI_BASE_URL points at the real API.',
        done: true,
      },
    ])
  })
})
