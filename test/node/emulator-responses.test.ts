/**
 * The emulator's `POST /v1/responses` against the recorded OpenAI Responses fixtures (same event
 * and Response keys in the same order, byte-identical validation error) and read by the official
 * `openai` SDK: `responses.stream()` / `finalResponse()`, `responses.create()` streamed and not, a
 * function call round trip, a custom tool, and faults as the SDK's errors.
 */
import { readFileSync } from 'node:fs'
import OpenAI, { APIError } from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectedAnswer, expectedPrefix, startEmulator, type Emulator } from '../../emulator/server.ts'
import { readResponsesStream, type ResponsesEvent } from '../support/responses-sse'

let emu: Emulator
let client: OpenAI
beforeAll(async () => {
  emu = await startEmulator()
  client = new OpenAI({ apiKey: 'sk-emulator', baseURL: `${emu.url}/v1`, maxRetries: 0 })
})
afterAll(() => emu.close())

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')
const post = (body: Record<string, unknown>) =>
  fetch(`${emu.url}/v1/responses`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-emu', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, ...body }),
  })

/** Each event type's data keys, and its item's keys, in order. */
function shapes(events: ResponsesEvent[]): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const event of events) {
    const item = (event.item ?? {}) as Record<string, unknown>
    out.set(event.type, [...Object.keys(event), '|', ...Object.keys(item)])
  }
  return out
}

/** The Response object's keys, from the terminal event. */
const responseKeys = (events: ResponsesEvent[]) => Object.keys(events.at(-1)!.response as object)

describe('emulator /v1/responses vs the recorded streams', () => {
  for (const [name, body] of [
    ['openai-responses-text.sse', { input: 'Hello, responses!' }],
    [
      'openai-responses-function-call.sse',
      {
        input: 'Weather? [emu call=get_weather_at_location]',
        tools: [{ type: 'function', name: 'get_weather_at_location' }],
      },
    ],
    [
      'openai-responses-custom-tool.sse',
      { input: 'Users [emu call=execute_sql]', tools: [{ type: 'custom', name: 'execute_sql' }] },
    ],
  ] as const) {
    it(`${name}: the same event types carry the same keys in the same order`, async () => {
      const recordedEvents = readResponsesStream(fixture(name))
      const emulatedEvents = readResponsesStream(await (await post(body)).text())
      // Newer recordings add fields to the Response: the emulator has all of them, in the same order.
      const keys = responseKeys(emulatedEvents)
      expect(keys.filter((key) => responseKeys(recordedEvents).includes(key))).toEqual(responseKeys(recordedEvents))
      const recorded = shapes(recordedEvents)
      const emulated = shapes(emulatedEvents)
      for (const [type, keys] of emulated)
        if (recorded.has(type)) expect([type, keys]).toEqual([type, recorded.get(type)])
      const missing = [...recorded.keys()].filter(
        (type) => !emulated.has(type) && !type.startsWith('response.reasoning'),
      )
      expect(
        missing.filter((type) => type !== 'response.output_item.added' && type !== 'response.output_item.done'),
      ).toEqual([])
    })
  }

  it('the mid-stream error has the recorded nested shape', async () => {
    const recorded = readResponsesStream(fixture('openai-responses-failed.reframed.sse')).at(-2)!
    const emulated = readResponsesStream(await (await post({ input: 'Hi [emu fault=midstream]' })).text()).at(-2)!
    expect(Object.keys(emulated)).toEqual(Object.keys(recorded))
    expect(Object.keys(emulated.error as object)).toEqual(Object.keys(recorded.error as object))
  })

  it('a validation error before the stream is byte-identical to the recorded one', async () => {
    const res = await post({
      model: 'gpt-4o',
      input: [{ role: 'user', content: 'What is the capital of France?' }],
      instructions: '',
      temperature: -1,
    })
    expect(res.status).toBe(400)
    expect(await res.text()).toBe(fixture('openai-responses-error-400-stream-request.json'))
  })
})

describe('the openai SDK reads the emulator /v1/responses', () => {
  const PROMPT = 'Xin chào, bạn có khỏe không? 你好 🚀'

  it('responses.stream(): finalResponse() has the whole answer as output_text', async () => {
    const final = await client.responses.stream({ model: 'gpt-4o-mini', input: PROMPT }).finalResponse()
    expect(final.output_text).toBe(expectedAnswer(PROMPT, { provider: 'openai' }))
    expect(final.usage?.output_tokens_details.reasoning_tokens).toBe(0)
  })

  it('responses.create() not streamed, and streamed', async () => {
    const whole = await client.responses.create({ model: 'gpt-4o-mini', input: PROMPT, instructions: 'Be brief.' })
    expect(whole.output_text).toBe(expectedAnswer(PROMPT, { provider: 'openai' }))
    let text = ''
    for await (const event of await client.responses.create({ model: 'gpt-4o-mini', input: PROMPT, stream: true })) {
      if (event.type === 'response.output_text.delta') text += event.delta
    }
    expect(text).toBe(expectedAnswer(PROMPT, { provider: 'openai' }))
  })

  it('a function call and its output round trip', async () => {
    const prompt = 'Thời tiết? [emu call=get_weather]'
    const tools = [{ type: 'function' as const, name: 'get_weather', parameters: { type: 'object' }, strict: false }]
    const first = await client.responses.stream({ model: 'gpt-4o-mini', input: prompt, tools }).finalResponse()
    const call = first.output[0] as OpenAI.Responses.ResponseFunctionToolCall
    expect(JSON.parse(call.arguments)).toEqual({ query: 'Thời tiết?' })
    const second = await client.responses.create({
      model: 'gpt-4o-mini',
      tools,
      input: [
        { role: 'user', content: prompt },
        call,
        { type: 'function_call_output', call_id: call.call_id, output: '31' },
      ],
    })
    expect(second.output_text).toBe(expectedAnswer('Result of get_weather: "31"', { provider: 'openai' }))
  })

  it('faults: a 429 is RateLimitError, midstream an APIError, length an incomplete response', async () => {
    const quota = await client.responses
      .create({ model: 'gpt-4o-mini', input: 'Hi [emu 429]' })
      .catch((e: unknown) => e)
    expect(quota).toBeInstanceOf(OpenAI.RateLimitError)
    const mid = await client.responses
      .stream({ model: 'gpt-4o-mini', input: 'Hi [emu midstream]' })
      .finalResponse()
      .catch((e: unknown) => e)
    expect(mid).toBeInstanceOf(APIError)
    const prompt = 'Hi [emu length after=2]'
    const cut = await client.responses.stream({ model: 'gpt-4o-mini', input: prompt }).finalResponse()
    expect(cut).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } })
    expect(cut.output_text).toBe(expectedPrefix(prompt, { provider: 'openai' }))
  })
})
