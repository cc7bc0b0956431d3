/**
 * SDK fidelity: the official `openai` and `@google/genai` SDKs, pointed at the emulator, must
 * parse its streams to exactly `expectedAnswer(...)` and turn its faults into their usual errors.
 * If the emulator drifted from the real wire format, these SDKs would notice.
 */
import { ApiError, GoogleGenAI } from '@google/genai'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  expectedAnswer,
  expectedPrefix,
  expectedRefusal,
  startEmulator,
  thoughtTexts,
  type Emulator,
} from '../../emulator/server.ts'

let emu: Emulator
let openai: OpenAI
const PROMPT = 'Xin chào, bạn có khỏe không? 你好 🚀'

beforeAll(async () => {
  emu = await startEmulator()
  openai = new OpenAI({ apiKey: 'sk-emulator', baseURL: `${emu.url}/v1`, maxRetries: 0 })
})
afterAll(() => emu.close())
beforeEach(() => emu.clearRequests())

const gemini = (apiVersion?: string, apiKey = 'emu-key') =>
  new GoogleGenAI({ apiKey, apiVersion, httpOptions: { baseUrl: emu.url, retryOptions: { attempts: 1 } } })

async function collectOpenAI(prompt: string, extra: Record<string, unknown> = {}) {
  const stream = await openai.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: prompt },
    ],
    stream: true,
    stream_options: { include_usage: true },
    ...extra,
  } as OpenAI.ChatCompletionCreateParamsStreaming)
  let text = ''
  let refusal = ''
  let finish: string | null = null
  let usage: OpenAI.CompletionUsage | null | undefined
  let chunks = 0
  for await (const chunk of stream) {
    chunks++
    const choice = chunk.choices[0]
    if (choice?.delta.content) text += choice.delta.content
    if (choice?.delta.refusal) refusal += choice.delta.refusal
    if (choice?.finish_reason) finish = choice.finish_reason
    if (chunk.usage) usage = chunk.usage
  }
  return { text, refusal, finish, usage, chunks }
}

async function collectGemini(ai: GoogleGenAI, prompt: string, config?: Record<string, unknown>) {
  const stream = await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: prompt, config })
  let text = ''
  let thoughts = ''
  let finish: string | undefined
  let usage: unknown
  for await (const chunk of stream) {
    text += chunk.text ?? ''
    for (const part of chunk.candidates?.[0]?.content?.parts ?? []) if (part.thought) thoughts += part.text ?? ''
    finish = chunk.candidates?.[0]?.finishReason ?? finish
    usage = chunk.usageMetadata ?? usage
  }
  return { text, thoughts, finish, usage }
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}

describe('openai SDK v7 against the emulator', () => {
  it('streams exactly expectedAnswer, with a finish reason and a usage chunk', async () => {
    const r = await collectOpenAI(PROMPT)
    expect(r.text).toBe(expectedAnswer(PROMPT, { provider: 'openai' }))
    expect(r.finish).toBe('stop')
    expect(r.usage?.completion_tokens).toBeGreaterThan(0)
    expect(r.usage?.total_tokens).toBe((r.usage?.prompt_tokens ?? 0) + (r.usage?.completion_tokens ?? 0))
    const [entry] = emu.requests()
    expect(entry).toMatchObject({
      provider: 'openai',
      method: 'POST',
      path: '/v1/chat/completions',
      model: 'gpt-4o-mini',
      keyPresent: true,
      status: 200,
      outcome: 'ok',
      stream: true,
      clientClosedEarly: false,
    })
  })

  it('honours chunks=, sentences=, delays and UTF-8 splits without changing the text', async () => {
    const prompt = `${PROMPT} [emu chunks=7 sentences=3 delay=2 ttft=20 split]`
    const r = await collectOpenAI(prompt)
    expect(r.text).toBe(expectedAnswer(prompt, { provider: 'openai' }))
    expect(r.text).toBe(expectedAnswer(PROMPT, { provider: 'openai', sentences: 3 }))
    expect(r.chunks).toBe(1 + 7 + 1 + 1) // role, 7 pieces, finish, usage
  })

  it('answers non-streamed requests with the same text', async () => {
    const res = await openai.chat.completions.create({
      model: 'gpt-4.1-mini',
      messages: [{ role: 'user', content: PROMPT }],
    })
    expect(res.choices[0]?.message.content).toBe(expectedAnswer(PROMPT, { provider: 'openai' }))
    expect(res.object).toBe('chat.completion')
    expect(res.model).toBe('gpt-4.1-mini-2025-04-14')
    expect(res.usage?.total_tokens).toBeGreaterThan(0)
  })

  it('streams a refusal in delta.refusal', async () => {
    const r = await collectOpenAI(`${PROMPT} [emu fault=refusal]`)
    expect(r.text).toBe('')
    expect(r.refusal).toBe(expectedRefusal(PROMPT))
    expect(r.finish).toBe('stop')
  })

  it.each([
    ['401', OpenAI.AuthenticationError, 401, 'Incorrect API key provided'],
    ['nokey', OpenAI.AuthenticationError, 401, "You didn't provide an API key"],
    ['400', OpenAI.BadRequestError, 400, 'Unsupported parameter'],
    ['403', OpenAI.PermissionDeniedError, 403, 'Country, region, or territory not supported'],
    ['404', OpenAI.NotFoundError, 404, 'The model `gpt-4o-mini` does not exist'],
    ['429', OpenAI.RateLimitError, 429, 'Rate limit reached for gpt-4o-mini'],
    ['quota', OpenAI.RateLimitError, 429, 'You exceeded your current quota'],
    ['500', OpenAI.InternalServerError, 500, 'The server had an error while processing your request'],
    ['503', OpenAI.InternalServerError, 503, 'That model is currently overloaded'],
  ] as const)('fault=%s becomes %s with status %i', async (fault, Cls, status, message) => {
    const err = await rejection(collectOpenAI(`Hi [emu fault=${fault}]`))
    expect(err).toBeInstanceOf(Cls)
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(status)
    expect((err as Error).message).toContain(message)
    expect(emu.requests().at(-1)?.status).toBe(status)
  })

  it('the same fault works through the model name and the x-emulator-scenario header', async () => {
    const viaModel = await rejection(
      openai.chat.completions.create({ model: 'gpt-4o-mini~fault=429', messages: [{ role: 'user', content: 'Hi' }] }),
    )
    expect(viaModel).toBeInstanceOf(OpenAI.RateLimitError)
    const viaHeader = await rejection(
      openai.chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] },
        { headers: { 'x-emulator-scenario': 'fault=500' } },
      ),
    )
    expect(viaHeader).toBeInstanceOf(OpenAI.InternalServerError)
  })

  it('checks the key: missing → 401, invalid → 401 invalid_api_key', async () => {
    const noKey = await fetch(`${emu.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
    })
    expect(noKey.status).toBe(401)
    expect(((await noKey.json()) as { error: { message: string } }).error.message).toContain(
      "You didn't provide an API key",
    )
    const bad = new OpenAI({ apiKey: 'invalid-key-1234567890', baseURL: `${emu.url}/v1`, maxRetries: 0 })
    const err = await rejection(
      bad.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
    )
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError)
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('invalid_api_key')
  })

  it('validates the body like the real API', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ messages: [{ role: 'user', content: 'x' }] }, 'you must provide a model parameter'],
      [{ model: 'gpt-4o-mini' }, "Missing required parameter: 'messages'."],
      [{ model: 'gpt-4o-mini', messages: [] }, "Invalid 'messages': empty array."],
      [{ model: 'gpt-4o-mini', messages: [{ role: 'bot', content: 'x' }] }, "Invalid value: 'bot'."],
      [
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], stream_options: { include_usage: true } },
        "'stream_options' parameter is only allowed",
      ],
      [
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], temperature: 3 },
        'decimal above maximum value',
      ],
      [
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], user_input: 'x' },
        'Unrecognized request argument supplied: user_input',
      ],
    ]
    for (const [body, message] of cases) {
      const err = await rejection(openai.chat.completions.create(body as never))
      expect(err, JSON.stringify(body)).toBeInstanceOf(OpenAI.BadRequestError)
      expect((err as Error).message).toContain(message)
    }
  })

  it('a mid-stream error event becomes an APIError after the first pieces', async () => {
    const prompt = `${PROMPT} [emu fault=midstream after=4]`
    let text = ''
    const err = await rejection(
      (async () => {
        const stream = await openai.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: prompt }],
          stream: true,
        })
        for await (const c of stream) text += c.choices[0]?.delta.content ?? ''
      })(),
    )
    expect(err).toBeInstanceOf(OpenAI.APIError)
    expect((err as Error).message).toContain('The server had an error processing your request')
    expect(text).toBe(expectedPrefix(prompt, { provider: 'openai' }))
  })

  it('malformed data mid-stream makes the SDK throw', async () => {
    const err = await rejection(collectOpenAI(`${PROMPT} [emu fault=malformed after=2]`))
    expect(err).toBeInstanceOf(Error)
  })

  it('a dropped connection ends the SDK stream early with an error or without [DONE]', async () => {
    const prompt = `${PROMPT} [emu fault=drop after=3]`
    let text = ''
    let failed = false
    try {
      const stream = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: prompt }],
        stream: true,
      })
      for await (const c of stream) text += c.choices[0]?.delta.content ?? ''
    } catch {
      failed = true
    }
    expect(text).toBe(expectedPrefix(prompt, { provider: 'openai' }))
    expect(failed).toBe(true)
    expect(emu.requests().at(-1)).toMatchObject({ outcome: 'drop', chunksSent: 3, clientClosedEarly: false })
  })

  it('logs a client that aborts mid-stream as clientClosedEarly', async () => {
    const controller = new AbortController()
    const stream = await openai.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi [emu fault=stall after=2]' }], stream: true },
      { signal: controller.signal },
    )
    let pieces = 0
    const started = Date.now()
    try {
      for await (const c of stream) {
        if (c.choices[0]?.delta.content) pieces++
        if (pieces === 2) controller.abort()
      }
    } catch {
      /* the SDK may end the iteration quietly or throw an abort error */
    }
    expect(pieces).toBe(2)
    const entry = await emu.waitForRequest((e) => e.clientClosedEarly, 1000)
    expect(entry.outcome).toBe('stall')
    expect(entry.clientClosedAt! - started).toBeLessThan(1000)
  })
})

describe.each([
  ['v1 (SDK default)', undefined, '/v1/'],
  ['v1beta', 'v1beta', '/v1beta/'],
] as const)('@google/genai v3 against the emulator, apiVersion %s', (_name, apiVersion, prefix) => {
  it('streams exactly expectedAnswer over alt=sse with a STOP finish and usage', async () => {
    const r = await collectGemini(gemini(apiVersion), PROMPT)
    expect(r.text).toBe(expectedAnswer(PROMPT, { provider: 'gemini' }))
    expect(r.finish).toBe('STOP')
    expect(r.usage).toMatchObject({
      promptTokenCount: expect.any(Number),
      candidatesTokenCount: expect.any(Number),
      totalTokenCount: expect.any(Number),
    })
    const [entry] = emu.requests()
    expect(entry?.path).toBe(`${prefix}models/gemini-2.5-flash:streamGenerateContent`)
    expect(entry).toMatchObject({
      provider: 'gemini',
      query: { alt: 'sse' },
      keyPresent: true,
      status: 200,
      operation: 'streamGenerateContent',
      outcome: 'ok',
    })
    expect(entry?.headers['x-goog-api-key']).toBe('***')
  })

  it('skips thought parts in .text and keeps them as thought parts', async () => {
    const prompt = `${PROMPT} [emu thoughts=2 split delay=1]`
    const r = await collectGemini(gemini(apiVersion), prompt, { thinkingConfig: { includeThoughts: true } })
    expect(r.text).toBe(expectedAnswer(prompt, { provider: 'gemini' }))
    expect(r.thoughts).toBe(thoughtTexts(2).join(''))
  })

  it('answers generateContent (non-stream) with the same text', async () => {
    const res = await gemini(apiVersion).models.generateContent({
      model: 'gemini-2.5-flash',
      contents: PROMPT,
      config: { systemInstruction: 'Be brief.', temperature: 0.5, maxOutputTokens: 500 },
    })
    expect(res.text).toBe(expectedAnswer(PROMPT, { provider: 'gemini' }))
    expect(res.candidates?.[0]?.finishReason).toBe('STOP')
  })

  it.each([
    ['badkey', 400, 'API key not valid'],
    ['nokey', 403, "Method doesn't allow unregistered callers"],
    ['401', 401, 'Request had invalid authentication credentials'],
    ['404', 404, 'models/gemini-2.5-flash is not found'],
    ['429', 429, 'You exceeded your current quota'],
    ['500', 500, 'An internal error has occurred'],
    ['503', 503, 'This model is currently experiencing high demand'],
  ] as const)('fault=%s becomes ApiError with status %i', async (fault, status, message) => {
    const err = await rejection(collectGemini(gemini(apiVersion), `Hi [emu fault=${fault}]`))
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).status).toBe(status)
    expect((err as Error).message).toContain(message)
    expect(emu.requests().at(-1)?.status).toBe(status)
  })

  it('checks the key: an invalid one → 400 API_KEY_INVALID', async () => {
    const err = await rejection(collectGemini(gemini(apiVersion, 'invalid-key'), 'Hi'))
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).status).toBe(400)
    expect((err as Error).message).toContain('API_KEY_INVALID')
  })

  it('a bare mid-stream error object becomes an ApiError after the first pieces', async () => {
    const prompt = `${PROMPT} [emu fault=midstream after=2]`
    let text = ''
    const err = await rejection(
      (async () => {
        for await (const c of await gemini(apiVersion).models.generateContentStream({
          model: 'gemini-2.5-flash',
          contents: prompt,
        }))
          text += c.text ?? ''
      })(),
    )
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).status).toBe(503)
    expect(text).toBe(expectedPrefix(prompt, { provider: 'gemini' }))
  })

  it('a blocked prompt is a 200 with promptFeedback and no candidates', async () => {
    const stream = await gemini(apiVersion).models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'Hi [emu fault=blocked]',
    })
    const chunks = []
    for await (const c of stream) chunks.push(c)
    expect(chunks).toHaveLength(1)
    expect(chunks[0]?.promptFeedback?.blockReason).toBe('SAFETY')
    expect(chunks[0]?.candidates).toBeUndefined()
  })

  it('a SAFETY finish comes after the first pieces', async () => {
    const prompt = `${PROMPT} [emu fault=safety after=2]`
    const r = await collectGemini(gemini(apiVersion), prompt)
    expect(r.text).toBe(expectedPrefix(prompt, { provider: 'gemini' }))
    expect(r.finish).toBe('SAFETY')
  })

  it('malformed data mid-stream makes the SDK throw', async () => {
    await expect(collectGemini(gemini(apiVersion), 'Hi [emu fault=malformed after=1]')).rejects.toThrow()
  })
})

describe('Gemini request validation (real error bodies)', () => {
  const post = (path: string, body: unknown, headers: Record<string, string> = { 'x-goog-api-key': 'k' }) =>
    fetch(`${emu.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })
  const sse = '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse'
  const ok = { contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] }

  it.each([
    ['no key', ok, {}, 403, 'PERMISSION_DENIED'],
    ['no contents', {}, undefined, 400, 'contents is not specified'],
    [
      'role assistant',
      { contents: [{ role: 'assistant', parts: [{ text: 'x' }] }] },
      undefined,
      400,
      'Please use a valid role: user, model.',
    ],
    ['empty parts', { contents: [{ role: 'user', parts: [] }] }, undefined, 400, 'contents.parts must not be empty'],
    [
      'OpenAI-style part',
      { contents: [{ role: 'user', parts: [{ type: 'text', text: 'x' }] }] },
      undefined,
      400,
      'Unknown name \\"type\\"',
    ],
    ['unknown field', { ...ok, messages: [] }, undefined, 400, 'Unknown name \\"messages\\"'],
    ['bad JSON', '{"contents": [', undefined, 400, 'Invalid JSON payload received'],
  ] as const)('%s → %i', async (_n, body, headers, status, text) => {
    const res = await post(sse, body, headers)
    expect(res.status).toBe(status)
    // The real trap: an error to an alt=sse request is labelled text/event-stream but is plain pretty JSON.
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const raw = await res.text()
    expect(raw).toContain(text)
    expect(raw.endsWith('}\n')).toBe(true)
    expect(raw.startsWith('{\n  "error": {\n    "code": ')).toBe(true)
  })

  it('accepts ?key= instead of the header', async () => {
    const res = await post(`${sse}&key=abc`, ok, {})
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('"finishReason": "STOP"')
  })

  it('without alt=sse, streamGenerateContent answers a JSON array of the same chunks', async () => {
    const res = await post('/v1beta/models/gemini-2.5-flash:streamGenerateContent', {
      contents: [{ role: 'user', parts: [{ text: PROMPT }] }],
    })
    expect(res.status).toBe(200)
    const arr = JSON.parse(await res.text()) as { candidates: { content: { parts: { text: string }[] } }[] }[]
    expect(arr.map((c) => c.candidates[0]!.content.parts[0]!.text).join('')).toBe(
      expectedAnswer(PROMPT, { provider: 'gemini' }),
    )
  })

  it("unknown paths get Google's HTML 404", async () => {
    const res = await post('/v1beta/models/gemini-2.5-flash:chat', ok)
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toContain('text/html')
  })
})
