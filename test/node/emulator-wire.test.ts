/**
 * The emulator's bytes against the recorded provider fixtures (test/fixtures):
 * same framing (LF + [DONE] for OpenAI, CRLF and no [DONE] for Gemini), same JSON keys and
 * style, and byte-identical error bodies. Skipped when the fixtures are not on disk.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectedAnswer, startEmulator, type Emulator } from '../../emulator/server.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const FIXTURES = [process.env.WIRE_FIXTURES, join(ROOT, 'test/fixtures')].find(
  (d): d is string => !!d && existsSync(join(d, 'index.json')),
)
const fixture = (name: string) => readFileSync(join(FIXTURES!, name), 'utf8')
const index = () =>
  JSON.parse(fixture('index.json')) as Record<
    string,
    { status: number; headers: Record<string, string>; provenance: string }
  >

let emu: Emulator
beforeAll(async () => {
  emu = await startEmulator()
})
afterAll(() => emu.close())

const openaiPost = (body: unknown, key: string | null = 'sk-emu') =>
  fetch(`${emu.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  })
const geminiPost = (model: string, prompt: string, key: string | null = 'emu-key', version = 'v1beta') =>
  fetch(`${emu.url}/${version}/models/${model}:streamGenerateContent?alt=sse`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'x-goog-api-key': key } : {}) },
    body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: prompt }] }] }),
  })
const chat = (prompt: string, extra: Record<string, unknown> = {}) => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: prompt }],
  ...extra,
})

/** `data:` payloads of an SSE body, with the separator checked. */
function events(raw: string, sep: string): string[] {
  expect(raw.endsWith(sep)).toBe(true)
  return raw
    .slice(0, -sep.length)
    .split(sep)
    .map((block) => {
      expect(block.startsWith('data: ')).toBe(true)
      return block.slice(6)
    })
}
const keys = (o: object) => Object.keys(o).sort()
const union = (objs: object[]) => [...new Set(objs.flatMap((o) => Object.keys(o)))].sort()

describe.skipIf(!FIXTURES)('emulator framing vs recorded fixtures', () => {
  it('OpenAI: LF-only `data: <compact json>\\n\\n`, role chunk, content, finish, usage, [DONE]', async () => {
    const res = await openaiPost(chat('Hi 🚀', { stream: true, stream_options: { include_usage: true } }))
    expect(res.headers.get('content-type')).toBe(index()['openai-chat-usage.sse']!.headers['content-type'])
    const raw = await res.text()
    expect(raw).not.toContain('\r')
    const payloads = events(raw, '\n\n')
    expect(payloads.at(-1)).toBe('[DONE]')
    const chunks = payloads.slice(0, -1).map((p) => JSON.parse(p))
    for (const [i, p] of payloads.slice(0, -1).entries()) expect(JSON.stringify(chunks[i])).toBe(p) // compact, raw UTF-8

    const ref = events(fixture('openai-chat-usage.sse'), '\n\n')
      .slice(0, -1)
      .map((p) => JSON.parse(p))
    for (const c of chunks) expect(keys(c)).toEqual(keys(ref[0]))
    const refChoiceKeys = union(
      ['openai-chat-refusal.sse', 'openai-chat-usage.sse'].flatMap((f) =>
        events(fixture(f), '\n\n')
          .slice(0, -1)
          .flatMap((p) => (JSON.parse(p) as { choices: object[] }).choices),
      ),
    )
    for (const c of chunks) for (const ch of c.choices) expect(refChoiceKeys).toEqual(expect.arrayContaining(keys(ch)))

    expect(chunks[0].choices[0].delta).toEqual(ref[0].choices[0].delta) // {"role":"assistant","content":"","refusal":null}
    const finish = chunks.at(-2)
    expect(finish.choices[0].delta).toEqual({})
    expect(finish.choices[0].finish_reason).toBe('stop')
    const usage = chunks.at(-1)
    expect(usage.choices).toEqual([])
    expect(keys(usage.usage)).toEqual(keys(ref.at(-1).usage))
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true)
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(
      expectedAnswer('Hi 🚀', { provider: 'openai' }),
    )
  })

  it('Gemini: CRLF `data: <google json>\\r\\n\\r\\n`, finishReason only last, cumulative usage, no [DONE]', async () => {
    const res = await geminiPost('gemini-2.5-flash', 'Hi 🚀 [emu thoughts=1]')
    for (const [k, v] of Object.entries(index()['gemini-thinking.sse']!.headers)) expect(res.headers.get(k)).toBe(v)
    const raw = await res.text()
    expect(raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/) // every line break is CRLF
    const payloads = events(raw, '\r\n\r\n')
    expect(payloads).not.toContain('[DONE]') // (the answer text itself quotes "data: [DONE]")
    for (const p of payloads) {
      expect(p).toMatch(/^\{"candidates": \[\{"content": \{"parts": \[\{"text": /) // Google's `": "` style
      expect(p).not.toMatch(/", "|\}, \{/)
    }
    const chunks = payloads.map((p) => JSON.parse(p))
    const ref = events(fixture('gemini-thinking.sse'), '\r\n\r\n').map((p) => JSON.parse(p))
    for (const c of chunks) expect(keys(c)).toEqual(keys(ref[0]))
    const refCandKeys = union(ref.map((r) => r.candidates[0]))
    for (const c of chunks) expect(refCandKeys).toEqual(expect.arrayContaining(keys(c.candidates[0])))
    const refUsageKeys = union(
      [...ref, ...events(fixture('gemini-basic.sse'), '\r\n\r\n').map((p) => JSON.parse(p))].map(
        (r) => r.usageMetadata,
      ),
    )
    for (const c of chunks) expect(refUsageKeys).toEqual(expect.arrayContaining(keys(c.usageMetadata)))
    expect(chunks[0].candidates[0].content.parts[0].thought).toBe(true)
    expect(chunks.slice(0, -1).every((c) => c.candidates[0].finishReason === undefined)).toBe(true)
    expect(chunks.at(-1).candidates[0].finishReason).toBe('STOP')
    const totals = chunks.map((c) => c.usageMetadata.totalTokenCount)
    expect([...totals].sort((a, b) => a - b)).toEqual(totals)
    expect(new Set(chunks.map((c) => c.responseId)).size).toBe(1)
    const text = chunks
      .flatMap((c) => c.candidates[0].content.parts)
      .filter((p: { thought?: boolean }) => !p.thought)
      .map((p: { text: string }) => p.text)
      .join('')
    expect(text).toBe(expectedAnswer('Hi 🚀 [emu thoughts=1]', { provider: 'gemini' }))
  })

  it('Gemini: the blocked prompt and the bare mid-stream error look like the fixtures', async () => {
    const blocked = events(await (await geminiPost('gemini-2.5-flash', 'x [emu fault=blocked]')).text(), '\r\n\r\n')
    expect(blocked).toHaveLength(1)
    const ref = JSON.parse(events(fixture('gemini-prompt-blocked.sse'), '\r\n\r\n')[0]!)
    const got = JSON.parse(blocked[0]!)
    expect(got.candidates).toBeUndefined()
    expect(keys(got.promptFeedback)).toEqual(keys(ref.promptFeedback))
    expect(got.promptFeedback.safetyRatings).toEqual(ref.promptFeedback.safetyRatings)

    const mid = await (await geminiPost('gemini-2.5-flash', 'x [emu fault=midstream after=2]')).text()
    const tail = fixture('gemini-midstream-error-503.constructed.sse').split('\r\n\r\n').at(-1)!
    expect(mid.endsWith(`\r\n\r\n${tail}`)).toBe(true)
    expect(mid.split('\r\n\r\n')).toHaveLength(3)
  })

  it('OpenAI: a mid-stream error is a data event followed by [DONE]', async () => {
    const raw = await (await openaiPost(chat('x [emu fault=midstream after=2]', { stream: true }))).text()
    const ref = events(fixture('openai-chat-midstream-error.constructed.sse'), '\n\n')
    const got = events(raw, '\n\n')
    expect(got.slice(-2)).toEqual(ref.slice(-2))
  })

  const openaiCases: [string, () => Promise<Response>][] = [
    [
      'openai-error-404-model-not-found.json',
      () => openaiPost({ ...chat('x'), model: 'gpt-4.1-nano-wrong~fault=404' }),
    ],
    [
      'openai-error-401-invalid-api-key.json',
      () => openaiPost(chat('x [emu fault=401]'), `sk-test${'x'.repeat(29)}1234`),
    ],
    ['openai-error-401-missing-api-key.json', () => openaiPost(chat('x'), null)],
    ['openai-error-429-rate-limit.json', () => openaiPost(chat('x [emu fault=429]'))],
    ['openai-error-429-insufficient-quota.json', () => openaiPost(chat('x [emu fault=quota]'))],
    ['openai-error-500-server-error.json', () => openaiPost(chat('x [emu fault=500]'))],
    ['openai-error-503-overloaded.json', () => openaiPost(chat('x [emu fault=503]'))],
    ['openai-error-400-unsupported-parameter.json', () => openaiPost(chat('x [emu fault=400]'))],
    ['openai-error-400-empty-array.json', () => openaiPost({ model: 'gpt-4o-mini', messages: [] })],
  ]
  it.each(openaiCases)('OpenAI error body is byte-identical to %s', async (name, send) => {
    const res = await send()
    const meta = index()[name]!
    expect(res.status).toBe(meta.status)
    expect(await res.text()).toBe(fixture(name))
    if (meta.provenance.startsWith('recorded'))
      expect(res.headers.get('content-type')).toBe(meta.headers['content-type'])
  })

  const geminiCases: [string, () => Promise<Response>][] = [
    ['gemini-error-400-api-key-invalid.json', () => geminiPost('gemini-2.5-flash', 'x', 'invalid-key')],
    ['gemini-error-403-no-api-key.json', () => geminiPost('gemini-2.5-flash', 'x', null)],
    ['gemini-error-404-model-not-found.json', () => geminiPost('custom-gemini-2.0-flash', 'x [emu fault=404]')],
    ['gemini-error-429-resource-exhausted.json', () => geminiPost('gemini-2.5-flash', 'x [emu fault=429]')],
    ['gemini-error-500-internal.json', () => geminiPost('gemini-2.5-flash', 'x [emu fault=500]')],
    ['gemini-error-503-unavailable.json', () => geminiPost('gemini-2.5-flash', 'x [emu fault=503]')],
    ['gemini-error-503-overloaded.json', () => geminiPost('gemini-2.5-flash', 'x [emu fault=overloaded]')],
  ]
  it.each(geminiCases)(
    'Gemini error body (alt=sse) is byte-identical to %s, labelled text/event-stream',
    async (name, send) => {
      const res = await send()
      const meta = index()[name]!
      expect(res.status).toBe(meta.status)
      expect(res.headers.get('content-type')).toBe(meta.headers['content-type'])
      expect(await res.text()).toBe(fixture(name))
    },
  )
})
