import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { expectedAnswer, expectedChunks, startEmulator, type Emulator } from './server.ts'

let emu: Emulator
beforeAll(async () => {
  emu = await startEmulator()
})
afterAll(() => emu.close())
beforeEach(() => emu.clearRequests())

const openai = (prompt: string) =>
  fetch(`${emu.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4.1-mini', stream: true, messages: [{ role: 'user', content: prompt }] }),
  })
const gemini = (prompt: string) =>
  fetch(`${emu.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, {
    method: 'POST',
    headers: { 'x-goog-api-key': 'k', 'content-type': 'application/json' },
    body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: prompt }] }] }),
  })

/** The answer text of an OpenAI SSE body. */
function openaiText(raw: string): string {
  return raw
    .split('\n\n')
    .filter((block) => block.startsWith('data: {'))
    .map(
      (block) =>
        (JSON.parse(block.slice(6)) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '',
    )
    .join('')
}

describe('fail=N: the first N requests of a prompt fail, then it answers', () => {
  it('status=503 retry_after=1: two 503s with Retry-After: 1, then the whole answer (OpenAI)', async () => {
    const prompt = 'Hi [emu fail=2 status=503 retry_after=1]'
    for (let i = 0; i < 2; i++) {
      const res = await openai(prompt)
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBe('1')
      expect(((await res.json()) as { error: { type: string } }).error.type).toBe('server_error')
    }
    const res = await openai(prompt)
    expect(res.status).toBe(200)
    expect(res.headers.get('retry-after')).toBeNull()
    expect(openaiText(await res.text())).toBe(expectedAnswer(prompt, { provider: 'openai' }))
    expect(emu.requests().map((e) => [e.attempt, e.status, e.outcome])).toEqual([
      [1, 503, 'error'],
      [2, 503, 'error'],
      [3, 200, 'ok'],
    ])
  })

  it('Gemini 429: Retry-After and the RetryInfo detail both say the delay', async () => {
    const prompt = 'Hi [emu fail=1 status=429 retry_after=2]'
    const res = await gemini(prompt)
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('2')
    const body = (await res.json()) as { error: { details: { '@type': string; retryDelay?: string }[] } }
    expect(body.error.details.find((d) => d['@type'].endsWith('RetryInfo'))?.retryDelay).toBe('2s')
    expect((await gemini(prompt)).status).toBe(200)
  })

  it('without status a failing request is a 503; any other 4xx/5xx status works too', async () => {
    expect((await openai('A [emu fail=1]')).status).toBe(503)
    const res = await gemini('B [emu fail=1 status=502]')
    expect(res.status).toBe(502)
    expect(await res.json()).toEqual({
      error: { code: 502, message: 'The service is currently unavailable (HTTP 502).', status: 'UNAVAILABLE' },
    })
  })

  it('counts per prompt and per provider, also for concurrent requests', async () => {
    const prompts = ['P1 [emu fail=1]', 'P2 [emu fail=1]']
    const statuses = await Promise.all(
      [...prompts, ...prompts]
        .flatMap((prompt) => [openai(prompt), gemini(prompt)])
        .map((res) => res.then((r) => r.text().then(() => r.status))),
    )
    expect(statuses.filter((s) => s === 503)).toHaveLength(4)
    expect(statuses.filter((s) => s === 200)).toHaveLength(4)
    for (const prompt of prompts) {
      for (const provider of ['openai', 'gemini']) {
        const log = emu.requests().filter((e) => e.prompt === prompt && e.provider === provider)
        expect(log.map((e) => e.attempt).sort()).toEqual([1, 2])
        expect(log.find((e) => e.attempt === 1)?.status).toBe(503)
        expect(log.find((e) => e.attempt === 2)?.status).toBe(200)
      }
    }
  })

  it('clearRequests() starts the counts again', async () => {
    expect((await openai('C [emu fail=1]')).status).toBe(503)
    expect((await openai('C [emu fail=1]')).status).toBe(200)
    emu.clearRequests()
    expect((await openai('C [emu fail=1]')).status).toBe(503)
  })
})

describe('hold=MS: the headers, then silence before the first piece', () => {
  for (const [provider, send] of [
    ['openai', openai],
    ['gemini', gemini],
  ] as const) {
    it(`${provider}: the status arrives at once, the first text only after the hold`, async () => {
      const prompt = 'Hold [emu hold=400 sentences=1]'
      const started = Date.now()
      const res = await send(prompt)
      expect(res.status).toBe(200)
      expect(Date.now() - started).toBeLessThan(300)
      await res.text()
      const [entry] = emu.requests()
      expect(entry!.headersAt! - entry!.startedAt).toBeLessThan(300)
      expect(entry!.finishedAt! - entry!.headersAt!).toBeGreaterThanOrEqual(380)
    })
  }

  it('with fail=1, only the first request holds (a first-text timeout, then a prompt answer)', async () => {
    const prompt = 'Hold once [emu fail=1 hold=5000]'
    const first = await openai(prompt)
    const reader = first.body!.getReader()
    await reader.read() // the role chunk
    await reader.cancel()
    await emu.waitForRequest((e) => e.attempt === 1 && e.clientClosedEarly, 2000)
    const started = Date.now()
    const second = await openai(prompt)
    expect(openaiText(await second.text())).toBe(expectedAnswer(prompt, { provider: 'openai' }))
    expect(Date.now() - started).toBeLessThan(1000)
  })
})

describe('the output limit: an answer longer than max_tokens stops there, as a model would', () => {
  const post = (path: string, headers: Record<string, string>, body: unknown) =>
    fetch(`${emu.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    })
  const prompt = 'Tell me about limits'
  const full = expectedChunks(prompt, { provider: 'openai' })

  it('OpenAI: max_completion_tokens 20 gives 20 pieces, finish_reason "length" and 20 completion tokens', async () => {
    const res = await post(
      '/v1/chat/completions',
      { authorization: 'Bearer k' },
      {
        model: 'gpt-4.1-mini',
        stream: true,
        stream_options: { include_usage: true },
        max_completion_tokens: 20,
        messages: [{ role: 'user', content: prompt }],
      },
    )
    const raw = await res.text()
    expect(openaiText(raw)).toBe(full.slice(0, 20).join(''))
    expect(raw).toContain('"finish_reason":"length"')
    expect(raw).toMatch(/"usage":\{"prompt_tokens":\d+,"completion_tokens":20,/)
    expect(emu.requests().at(-1)).toMatchObject({ outcome: 'length', chunksSent: 20 })
  })

  it('OpenAI: a limit above the answer changes nothing (max_tokens, whole reply)', async () => {
    const res = await post(
      '/v1/chat/completions',
      { authorization: 'Bearer k' },
      { model: 'gpt-4.1-mini', max_tokens: full.length, messages: [{ role: 'user', content: prompt }] },
    )
    const reply = (await res.json()) as { choices: { message: { content: string }; finish_reason: string }[] }
    expect(reply.choices[0]).toMatchObject({ message: { content: full.join('') }, finish_reason: 'stop' })
  })

  it('Gemini: maxOutputTokens 4 gives 4 pieces, then MAX_TOKENS', async () => {
    const res = await post(
      '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
      { 'x-goog-api-key': 'k' },
      { contents: [{ role: 'user', parts: [{ text: prompt }] }], generationConfig: { maxOutputTokens: 4 } },
    )
    const raw = await res.text()
    expect(raw).toContain('"finishReason": "MAX_TOKENS"')
    expect(emu.requests().at(-1)).toMatchObject({ outcome: 'length', chunksSent: 4 })
  })
})
