/**
 * Black box: the OpenAI Agents SDK (`@openai/agents`), unchanged, against `/v1/responses` on
 * wrangler dev, Bun and Node with the provider emulator upstream. An agent with one function tool
 * runs on an OpenAI model and on a Gemini 3 model (which the emulator refuses without the thought
 * signatures), streamed and not; a second turn on Gemini goes on from the first run's history and
 * from its `previousResponseId`. Tracing is off and every request goes to the gateway on 127.0.0.1.
 *
 * Narrow the runtimes with GATEWAY_RUNTIMES=workers (or bun,node).
 */
import { Agent, OpenAIProvider, Runner, setTracingDisabled, tool, user } from '@openai/agents'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  expectedAnswer,
  expectedFunctionCall,
  startEmulator,
  toolResultPrompt,
  type Emulator,
} from '../../emulator/server.ts'
import { RUNTIME_ENTRY, runtimeAvailable, startGateway, type RunningGateway, type Runtime } from '../support/gateway.ts'

type Provider = 'openai' | 'gemini'
const MODEL: Record<Provider, string> = { openai: 'gpt-4.1-mini', gemini: 'gemini-3-flash-preview' }
const WEATHER_PROMPT = 'Thời tiết ở Hà Nội thế nào? [emu call=get_weather thoughts=1]'
const NEXT_PROMPT = 'Còn ngày mai thì sao? 🌦'
const WEATHER = 'Hà Nội: 31°C, nắng'
/** What the model reads back: OpenAI gets the tool's text as is, Gemini a `functionResponse` object. */
const RESULT_SEEN: Record<Provider, unknown> = { openai: WEATHER, gemini: { content: WEATHER } }

const wanted = (process.env.GATEWAY_RUNTIMES ?? 'workers,bun,node').split(',').map((s) => s.trim())
const RUNTIMES = (['workers', 'bun', 'node'] as Runtime[]).filter((r) => wanted.includes(r))

setTracingDisabled(true)

describe.each(RUNTIMES)('the OpenAI Agents SDK on /v1/responses on %s (emulator upstream)', (runtime) => {
  if (!runtimeAvailable(runtime)) {
    it.skip(`${runtime}: ${RUNTIME_ENTRY[runtime]} does not exist yet`, () => {})
    return
  }

  let emu: Emulator
  let gw: RunningGateway
  let runner: Runner
  const urls: string[] = []
  const sent: Record<string, unknown>[] = []
  const calls: unknown[] = []

  const agent = new Agent({
    name: 'Weather',
    instructions: 'Answer questions about the weather; call get_weather for a place.',
    tools: [
      tool({
        name: 'get_weather',
        description: 'Weather for a place',
        parameters: z.object({ query: z.string() }),
        execute: async (input) => {
          calls.push(input)
          return WEATHER
        },
      }),
    ],
  })

  beforeAll(async () => {
    emu = await startEmulator()
    gw = await startGateway({
      runtime,
      upstreamUrl: emu.url,
      onOutput: process.env.GATEWAY_LOG ? (t) => process.stderr.write(t) : undefined,
    })
    const openAIClient = new OpenAI({
      baseURL: `${gw.url}/v1`,
      apiKey: 'client-token',
      maxRetries: 0,
      fetch: (url, init) => {
        urls.push(String(url))
        sent.push(JSON.parse(String(init?.body)) as Record<string, unknown>)
        return fetch(url, init)
      },
    })
    runner = new Runner({ modelProvider: new OpenAIProvider({ openAIClient }), tracingDisabled: true })
  }, 120_000)
  afterAll(async () => {
    await gw?.stop()
    await emu?.close()
  })
  beforeEach(() => {
    emu.clearRequests()
    urls.length = 0
    sent.length = 0
    calls.length = 0
  })

  for (const provider of ['openai', 'gemini'] as Provider[]) {
    for (const stream of [false, true]) {
      it(`${provider}${stream ? ', streamed' : ''}: the tool is called, then the answer to its result`, async () => {
        const model = MODEL[provider]
        let output: unknown
        if (stream) {
          const result = await runner.run(agent.clone({ model }), WEATHER_PROMPT, { stream: true })
          let text = ''
          for await (const delta of result.toTextStream()) text += delta
          await result.completed
          expect(text).toBe(result.finalOutput)
          output = result.finalOutput
        } else {
          output = (await runner.run(agent.clone({ model }), WEATHER_PROMPT)).finalOutput
        }
        expect(calls).toEqual([expectedFunctionCall(WEATHER_PROMPT, 'get_weather').args])
        expect(output).toBe(expectedAnswer(toolResultPrompt('get_weather', RESULT_SEEN[provider]), { provider }))
        expect(emu.requests().map((request) => request.status)).toEqual([200, 200])
        expect(urls).toEqual([`${gw.url}/v1/responses`, `${gw.url}/v1/responses`])
      })
    }
  }

  it('gemini 3: a second turn from the first run’s history, and from its previousResponseId', async () => {
    const gemini = agent.clone({ model: MODEL.gemini })
    const first = await runner.run(gemini, WEATHER_PROMPT)
    const [, answered] = emu.requests()
    const call = (answered!.body as { contents: unknown[] }).contents[1]
    expect(call).toEqual({
      role: 'model',
      parts: [
        {
          functionCall: { name: 'get_weather', args: expectedFunctionCall(WEATHER_PROMPT, 'get_weather').args },
          thoughtSignature: expect.any(String),
        },
      ],
    })
    const earlier = (answered!.body as { contents: unknown[] }).contents
    const firstAnswer = { role: 'model', parts: [{ text: first.finalOutput }] }
    const expected = expectedAnswer(NEXT_PROMPT, { provider: 'gemini' })
    const next = { role: 'user', parts: [{ text: NEXT_PROMPT }] }

    emu.clearRequests()
    const fromHistory = await runner.run(gemini, [...first.history, user(NEXT_PROMPT)])
    expect(fromHistory.finalOutput).toBe(expected)
    expect((emu.requests()[0]!.body as { contents: unknown[] }).contents).toEqual([...earlier, firstAnswer, next])

    emu.clearRequests()
    sent.length = 0
    const chained = await runner.run(gemini, NEXT_PROMPT, { previousResponseId: first.lastResponseId })
    expect(chained.finalOutput).toBe(expected)
    expect(sent).toMatchObject([{ previous_response_id: first.lastResponseId, input: [{ content: NEXT_PROMPT }] }])
    expect(sent[0]!.input).toHaveLength(1)
    expect((emu.requests()[0]!.body as { contents: unknown[] }).contents).toEqual([...earlier, firstAnswer, next])
    expect(calls).toHaveLength(1)
  })
})
