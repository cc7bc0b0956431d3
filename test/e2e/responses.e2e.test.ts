/**
 * Black box: `/v1/responses` on wrangler dev, Bun and Node with the provider emulator upstream, read
 * by the official openai SDK and by the Vercel AI SDK's `@ai-sdk/openai` provider (Responses by
 * default). Answers are compared exactly with the emulator's `expectedAnswer(...)`; the tool
 * conversations run on a Gemini 3 model, which the emulator refuses without the thought signatures.
 *
 * Narrow the runtimes with GATEWAY_RUNTIMES=workers (or bun,node).
 */
import { createOpenAI } from '@ai-sdk/openai'
import { stepCountIs, streamText, tool } from 'ai'
import OpenAI from 'openai'
import type { Response as OpenAIResponse, ResponseFunctionToolCall } from 'openai/resources/responses/responses'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  expectedAnswer,
  expectedFunctionCall,
  expectedPrefix,
  startEmulator,
  toolResultPrompt,
  type Emulator,
} from '../../emulator/server.ts'
import { RUNTIME_ENTRY, runtimeAvailable, startGateway, type RunningGateway, type Runtime } from '../support/gateway.ts'
import { readResponsesStream } from '../support/responses-sse.ts'

type Provider = 'openai' | 'gemini'
const MODEL: Record<Provider, string> = { openai: 'gpt-4.1-mini', gemini: 'gemini-2.5-flash' }
const PROVIDERS: Provider[] = ['openai', 'gemini']
const GEMINI_3 = 'gemini-3-flash-preview'
const PROMPT = 'Xin chào, bạn có khỏe không? 你好 🚀'
const WEATHER_PROMPT = 'Thời tiết ở Hà Nội thế nào? [emu call=get_weather thoughts=1]'
const WEATHER = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Weather for a place',
  parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
  strict: false,
}
const RESULT = { temperature: 31, unit: 'C', sky: 'nắng' }

const wanted = (process.env.GATEWAY_RUNTIMES ?? 'workers,bun,node').split(',').map((s) => s.trim())
const RUNTIMES = (['workers', 'bun', 'node'] as Runtime[]).filter((r) => wanted.includes(r))

async function rejection(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await promise
  } catch (error) {
    return error as InstanceType<typeof OpenAI.APIError>
  }
  throw new Error('expected a rejection')
}

/** Polls GET /v1/responses/{id} until `done`, for at most 20 s. */
async function until(client: OpenAI, id: string, done: (r: OpenAIResponse) => boolean): Promise<OpenAIResponse> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const response = await client.responses.retrieve(id)
    if (done(response)) return response
    if (Date.now() > deadline) throw new Error(`response ${id} is still ${response.status}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** The raw SSE body without `retry:` and `id:` lines and comments, for the strict reader. */
function unframed(wire: string): string {
  return wire
    .split('\n\n')
    .filter((block) => block !== '' && !block.startsWith('retry:') && !block.startsWith(':'))
    .map((block) => block.replace(/^id: [^\n]*\n/, ''))
    .map((block) => `${block}\n\n`)
    .join('')
}

describe.each(RUNTIMES)('/v1/responses on %s (openai SDK, AI SDK, emulator upstream)', (runtime) => {
  if (!runtimeAvailable(runtime)) {
    it.skip(`${runtime}: ${RUNTIME_ENTRY[runtime]} does not exist yet`, () => {})
    return
  }

  let emu: Emulator
  let gw: RunningGateway
  let client: OpenAI

  beforeAll(async () => {
    emu = await startEmulator()
    gw = await startGateway({
      runtime,
      upstreamUrl: emu.url,
      onOutput: process.env.GATEWAY_LOG ? (t) => process.stderr.write(t) : undefined,
    })
    client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'client-token', maxRetries: 0 })
  }, 120_000)
  afterAll(async () => {
    await gw?.stop()
    await emu?.close()
  })
  beforeEach(() => emu.clearRequests())

  it.each(PROVIDERS)('%s: streamed, the exact answer in strict Responses events with ids', async (provider) => {
    const response = await fetch(`${gw.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer client-token' },
      body: JSON.stringify({ model: MODEL[provider], input: PROMPT, stream: true }),
    })
    expect(response.status).toBe(200)
    const streamId = response.headers.get('x-stream-id')
    const wire = await response.text()
    expect(wire.startsWith('retry: 1000\n\nid: ')).toBe(true)
    const events = readResponsesStream(unframed(wire))
    const ids = [...wire.matchAll(/^id: (.*)$/gm)].map((match) => match[1])
    expect(ids).toEqual(events.map((event) => `${streamId}:${event.sequence_number + 1}`))
    const text = events
      .filter((event) => event.type === 'response.output_text.delta')
      .map((event) => event.delta)
      .join('')
    expect(text).toBe(expectedAnswer(PROMPT, { provider }))
    expect(events.at(-1)).toMatchObject({ type: 'response.completed', response: { status: 'completed' } })
  })

  it.each(PROVIDERS)('%s: not streamed, and responses.stream() with finalResponse()', async (provider) => {
    const whole = await client.responses.create({ model: MODEL[provider], input: PROMPT })
    expect(whole.status).toBe('completed')
    expect(whole.output_text).toBe(expectedAnswer(PROMPT, { provider }))
    expect(whole.usage!.total_tokens).toBe(whole.usage!.input_tokens + whole.usage!.output_tokens)
    const stream = client.responses.stream({ model: MODEL[provider], input: PROMPT })
    let text = ''
    for await (const event of stream) if (event.type === 'response.output_text.delta') text += event.delta
    const final = await stream.finalResponse()
    expect(text).toBe(expectedAnswer(PROMPT, { provider }))
    expect(final.output_text).toBe(text)
  })

  it('gemini 3: a function call, then its function_call_output on previous_response_id and sent back whole', async () => {
    const call = expectedFunctionCall(WEATHER_PROMPT, 'get_weather')
    const stream = await client.responses.create({
      model: GEMINI_3,
      input: WEATHER_PROMPT,
      tools: [WEATHER],
      stream: true,
    })
    let done: OpenAIResponse | undefined
    for await (const event of stream) if (event.type === 'response.completed') done = event.response
    const item = done!.output.find((output) => output.type === 'function_call') as ResponseFunctionToolCall
    expect(JSON.parse(item.arguments)).toEqual(call.args)
    const expected = expectedAnswer(toolResultPrompt('get_weather', RESULT), { provider: 'gemini' })
    const output = { type: 'function_call_output' as const, call_id: item.call_id, output: JSON.stringify(RESULT) }

    const chained = await client.responses.create({
      model: GEMINI_3,
      previous_response_id: done!.id,
      input: [output],
      tools: [WEATHER],
    })
    expect(chained.output_text).toBe(expected)
    const whole = await client.responses.create({
      model: GEMINI_3,
      input: [{ role: 'user', content: WEATHER_PROMPT }, item, output],
      tools: [WEATHER],
      store: false,
    })
    expect(whole.output_text).toBe(expected)
    const [, second, third] = emu.requests()
    for (const request of [second, third]) {
      expect(request!.status).toBe(200)
      expect((request!.body as { contents: unknown[] }).contents[1]).toEqual({
        role: 'model',
        parts: [{ functionCall: { name: 'get_weather', args: call.args }, thoughtSignature: expect.any(String) }],
      })
    }
  })

  it('gemini: previous_response_id carries the earlier turns; an unknown one is NotFoundError', async () => {
    const first = await client.responses.create({ model: MODEL.gemini, input: 'Tên tôi là Lan.' })
    const second = await client.responses.create({ model: MODEL.gemini, input: PROMPT, previous_response_id: first.id })
    expect(second.output_text).toBe(expectedAnswer(PROMPT, { provider: 'gemini' }))
    expect((emu.requests()[1]!.body as { contents: unknown[] }).contents).toEqual([
      { role: 'user', parts: [{ text: 'Tên tôi là Lan.' }] },
      { role: 'model', parts: [{ text: first.output_text }] },
      { role: 'user', parts: [{ text: PROMPT }] },
    ])
    const error = await rejection(
      client.responses.create({ model: MODEL.gemini, input: 'x', previous_response_id: 'resp_0123456789abcdef' }),
    )
    expect(error).toBeInstanceOf(OpenAI.NotFoundError)
    expect(error.code).toBe('previous_response_not_found')
  })

  it.each(PROVIDERS)('%s: background, then retrieve(id, { stream: true, starting_after })', async (provider) => {
    const queued = await client.responses.create({ model: MODEL[provider], input: PROMPT, background: true })
    expect(queued.background).toBe(true)
    expect(['queued', 'in_progress']).toContain(queued.status)
    const final = await until(client, queued.id, (response) => response.status === 'completed')
    expect(final.output_text).toBe(expectedAnswer(PROMPT, { provider }))
    const all: number[] = []
    for await (const event of await client.responses.retrieve(queued.id, { stream: true }))
      all.push(event.sequence_number)
    expect(all).toEqual(all.map((_, index) => index))
    const rest: number[] = []
    for await (const event of await client.responses.retrieve(queued.id, { stream: true, starting_after: 3 })) {
      rest.push(event.sequence_number)
    }
    expect(rest).toEqual(all.slice(4))
    expect(emu.requests()).toHaveLength(1)
  })

  it('gemini: cancel closes the upstream request and ends it cancelled, twice the same', async () => {
    const prompt = 'Hi [emu fault=stall after=2]'
    const queued = await client.responses.create({ model: MODEL.gemini, input: prompt, background: true })
    const running = await until(client, queued.id, (response) => response.output_text.length > 0)
    expect(running.output_text).toBe(expectedPrefix(prompt, { provider: 'gemini' }))
    const cancelled = await client.responses.cancel(queued.id)
    expect(cancelled.status).toBe('cancelled')
    expect((await client.responses.cancel(queued.id)).status).toBe('cancelled')
    await emu.waitForRequest((entry) => entry.clientClosedEarly, 5000)
    await client.responses.delete(queued.id)
    expect(await rejection(client.responses.retrieve(queued.id))).toBeInstanceOf(OpenAI.NotFoundError)
  })

  const faults: [Provider, string, number, abstract new (...args: never[]) => Error][] = [
    ['gemini', '429', 429, OpenAI.RateLimitError],
    ['gemini', 'badkey', 502, OpenAI.InternalServerError],
    ['openai', '404', 404, OpenAI.NotFoundError],
    ['openai', '500', 500, OpenAI.InternalServerError],
  ]
  for (const [provider, fault, status, ErrorClass] of faults) {
    it(`${provider} fault=${fault}: ${ErrorClass.name} ${status}, streamed or not`, async () => {
      for (const stream of [true, false]) {
        const error = await rejection(
          client.responses.create({ model: MODEL[provider], input: `Hi [emu fault=${fault}]`, stream }),
        )
        expect(error).toBeInstanceOf(ErrorClass)
        expect(error.status).toBe(status)
        expect(error.message).toMatch(new RegExp(`^${status} ${provider}: `))
      }
    })
  }

  it('the AI SDK (@ai-sdk/openai, Responses): streamText on Gemini 3 with a tool, two steps', async () => {
    const sent: Record<string, unknown>[] = []
    const provider = createOpenAI({
      baseURL: `${gw.url}/v1`,
      apiKey: 'client-token',
      fetch: (url, init) => {
        sent.push(JSON.parse(String(init?.body)) as Record<string, unknown>)
        return fetch(url, init)
      },
    })
    const calls: unknown[] = []
    const result = streamText({
      model: provider(GEMINI_3),
      prompt: WEATHER_PROMPT,
      tools: {
        get_weather: tool({
          description: 'Weather for a place',
          inputSchema: z.object({ query: z.string() }),
          execute: async (input) => {
            calls.push(input)
            return RESULT
          },
        }),
      },
      stopWhen: stepCountIs(2),
    })
    let text = ''
    for await (const delta of result.textStream) text += delta
    expect(calls).toEqual([expectedFunctionCall(WEATHER_PROMPT, 'get_weather').args])
    expect(text).toBe(expectedAnswer(toolResultPrompt('get_weather', RESULT), { provider: 'gemini' }))
    expect(await result.finishReason).toBe('stop')
    expect(emu.requests().map((request) => request.status)).toEqual([200, 200])
    // The AI SDK sends the call back as it got it: its signature rides in the call_id.
    expect((sent[1]!.input as unknown[])[1]).toMatchObject({
      type: 'function_call',
      call_id: expect.stringMatching(/^call_\w+~./),
      name: 'get_weather',
    })
  })
})
