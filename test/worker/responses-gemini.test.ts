/**
 * `/v1/responses` in front of Gemini, on workerd, with the official openai SDK as the client and
 * recorded Gemini streams replayed by the fake upstream. Streams run in the Durable Object (the
 * worker's RESUMABLE_STREAMS), as in production.
 */
import OpenAI from 'openai'
import type { ResponseFunctionToolCall, ResponseInputItem } from 'openai/resources/responses/responses'
import { describe, expect, it } from 'vitest'
import { streamIdOf } from '../../src/apis/responses/stored'
import { fixturePayloads, geminiFixtureText, scenario, upstreamRequests } from './helpers'
import { fixtureEvents, rejection, sdk } from './openai-api-helpers'
import { deltaText, postResponses, readEvents, terminal, textAnswerTypes } from './responses-helpers'

const openai = sdk()
const NOW_TOOL = {
  type: 'function' as const,
  name: 'now',
  description: 'The current time',
  parameters: { type: 'object', properties: {} },
  strict: false,
}

interface GeminiChunk {
  usageMetadata?: Record<string, number>
  candidates?: { content?: { parts?: { thoughtSignature?: string; text?: string; thought?: boolean }[] } }[]
}
const lastChunk = async (fixture: string) => (await fixturePayloads(fixture)).at(-1) as GeminiChunk
const signatureOf = async (fixture: string) =>
  (await lastChunk(fixture)).candidates![0]!.content!.parts!.find((part) => part.thoughtSignature)!.thoughtSignature!

describe('Gemini through /v1/responses, streamed', () => {
  it('the recorded answer as Responses events: ids n = sequence_number + 1, X-Stream-Id from the response id', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const { events, types, streamId, raw } = await readEvents(
      await postResponses({ model: `gemini/${model}`, input: 'Hi', stream: true }),
    )
    expect(types).toEqual(textAnswerTypes(3))
    expect(deltaText(events)).toBe(await geminiFixtureText('gemini-basic.sse'))
    expect(events.filter((event) => event.type === 'response.output_text.delta').map((event) => event.delta)).toEqual([
      'The',
      ' capital of Wyoming',
      ' is **Cheyenne**.\n',
    ])
    const response = terminal(events)
    expect(streamId).toBe(await streamIdOf(response.id as string))
    expect(response).toMatchObject({
      object: 'response',
      status: 'completed',
      model: 'gemini-2.0-flash',
      usage: {
        input_tokens: 7,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 10,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 17,
      },
    })
    expect(response.output).toEqual([
      {
        id: `msg_${(response.id as string).slice(5)}0000`,
        type: 'message',
        status: 'completed',
        content: [
          { type: 'output_text', annotations: [], logprobs: [], text: 'The capital of Wyoming is **Cheyenne**.\n' },
        ],
        role: 'assistant',
      },
    ])
    expect(raw).not.toContain('[DONE]')
  })

  it('responses.stream() and finalResponse(): the SDK accepts every event and ends with the whole response', async () => {
    const model = await scenario({ fixture: 'gemini-multibyte.sse' })
    const stream = openai.responses.stream({ model: `gemini/${model}`, input: 'Xin chào' })
    const types: string[] = []
    for await (const event of stream) types.push(event.type)
    const final = await stream.finalResponse()
    expect(types[0]).toBe('response.created')
    expect(types.at(-1)).toBe('response.completed')
    expect(final.status).toBe('completed')
    expect(final.output_text).toBe(await geminiFixtureText('gemini-multibyte.sse'))
  })

  it('reasoning.summary: the thoughts as a reasoning item with summary events, never in output_text', async () => {
    const fixture = 'gemini-thinking.sse'
    const model = await scenario({ fixture })
    const { events } = await readEvents(
      await postResponses({
        model: `gemini/${model}`,
        input: 'Why is the sky blue?',
        reasoning: { summary: 'auto' },
        stream: true,
      }),
    )
    const thoughts = (await fixturePayloads(fixture))
      .flatMap((chunk) => (chunk as GeminiChunk).candidates?.[0]?.content?.parts ?? [])
      .filter((part) => part.thought)
      .map((part) => part.text)
      .join('')
    const output = terminal(events).output as { type: string; summary?: { text: string }[] }[]
    expect(output.map((item) => item.type)).toEqual(['reasoning', 'message'])
    expect(output[0]!.summary).toEqual([{ type: 'summary_text', text: thoughts }])
    expect(deltaText(events)).toBe(await geminiFixtureText(fixture))
    expect(deltaText(events)).not.toContain(thoughts.slice(0, 20))
    const [request] = await upstreamRequests(model)
    expect((request!.body as { generationConfig: unknown }).generationConfig).toMatchObject({
      thinkingConfig: { includeThoughts: true },
    })
  })

  it('a blocked prompt ends with response.incomplete (content_filter), not streamed still 200', async () => {
    const model = await scenario({ fixture: 'gemini-prompt-blocked.sse' })
    const { types, events } = await readEvents(
      await postResponses({ model: `gemini/${model}`, input: 'x', stream: true }),
    )
    expect(types).toEqual(['response.created', 'response.in_progress', 'response.incomplete'])
    expect(terminal(events)).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'content_filter' } })
    const whole = await openai.responses.create({ model: `gemini/${model}`, input: 'x' })
    expect(whole).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'content_filter' }, output: [] })
  })

  it('an error after the first text: the error event and response.failed; the SDK raises APIError', async () => {
    const [first, second] = await fixtureEvents('gemini-basic.sse')
    const error = '{"error": {"code": 429,"message": "Resource exhausted.","status": "RESOURCE_EXHAUSTED"}}'
    const model = await scenario({
      body: `data: ${first}\r\n\r\ndata: ${second}\r\n\r\ndata: ${error}\r\n\r\n`,
      status: 200,
      chunking: 'whole',
    })
    const { types, events } = await readEvents(
      await postResponses({ model: `gemini/${model}`, input: 'Hi', stream: true }),
    )
    expect(types.slice(-2)).toEqual(['error', 'response.failed'])
    expect(events.at(-2)).toMatchObject({
      error: { type: 'rate_limit_error', code: 'rate_limit_exceeded', param: null },
    })
    expect(terminal(events)).toMatchObject({ status: 'failed', error: { code: 'rate_limit_exceeded' } })
    let text = ''
    const raised = await rejection(
      (async () => {
        const stream = await openai.responses.create({ model: `gemini/${model}`, input: 'Hi', stream: true })
        for await (const event of stream) if (event.type === 'response.output_text.delta') text += event.delta
      })(),
    )
    expect(raised).toBeInstanceOf(OpenAI.APIError)
    expect((raised as Error).message).toContain('gemini: the provider reported an error during the answer (429')
    expect(text).toBe('The capital of Wyoming')
  })
})

describe('Gemini through /v1/responses, not streamed', () => {
  it('one Response object: output_text, usage with both details, thoughts counted as reasoning', async () => {
    const fixture = 'gemini-thinking.sse'
    const model = await scenario({ fixture })
    const response = await openai.responses.create({ model: `gemini/${model}`, input: 'Why is the sky blue?' })
    const usage = (await lastChunk(fixture)).usageMetadata!
    expect(response.object).toBe('response')
    expect(response.status).toBe('completed')
    expect(response.output_text).toBe(await geminiFixtureText(fixture))
    expect(response.output.map((item) => item.type)).toEqual(['message'])
    expect(response.usage).toEqual({
      input_tokens: usage.promptTokenCount,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: usage.candidatesTokenCount! + usage.thoughtsTokenCount!,
      output_tokens_details: { reasoning_tokens: usage.thoughtsTokenCount },
      total_tokens: usage.totalTokenCount,
    })
  })
})

describe('Gemini tool calls through /v1/responses', () => {
  it('a function call and its function_call_output: the signature rides in call_id and goes back to Gemini', async () => {
    const fixture = 'gemini-thinking-function-call.sse'
    const first = await scenario({ fixture })
    const input: ResponseInputItem[] = [{ role: 'user', content: 'Days until New Year?' }]
    const stream = await openai.responses.create({ model: `gemini/${first}`, input, tools: [NOW_TOOL], stream: true })
    const types: string[] = []
    for await (const event of stream) types.push(event.type)
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ])
    const call = await openai.responses.create({ model: `gemini/${first}`, input, tools: [NOW_TOOL] })
    const item = call.output[0] as ResponseFunctionToolCall
    const signature = await signatureOf(fixture)
    expect(item).toMatchObject({ type: 'function_call', name: 'now', arguments: '{}', status: 'completed' })
    expect(item.call_id).toMatch(new RegExp(`^call_\\w{24}~${signature.replace(/[+/]/g, '\\$&')}$`))

    const second = await scenario({ fixture: 'gemini-basic.sse' })
    const answer = await openai.responses.create({
      model: `gemini/${second}`,
      input: [...input, item, { type: 'function_call_output', call_id: item.call_id, output: '{"now":"2025-12-29"}' }],
      tools: [NOW_TOOL],
      store: false,
    })
    expect(answer.output_text).toBe(await geminiFixtureText('gemini-basic.sse'))
    const [request] = await upstreamRequests(second)
    expect((request!.body as { contents: unknown }).contents).toEqual([
      { role: 'user', parts: [{ text: 'Days until New Year?' }] },
      { role: 'model', parts: [{ functionCall: { name: 'now', args: {} }, thoughtSignature: signature }] },
      { role: 'user', parts: [{ functionResponse: { name: 'now', response: { now: '2025-12-29' } } }] },
    ])
  })

  it('Gemini 3, three turns on previous_response_id: every signature goes back, instructions are not carried', async () => {
    const callFixture = 'gemini-thinking-function-call.sse'
    const first = await scenario({ fixture: callFixture })
    const turn1 = await openai.responses.create({
      model: `gemini/${first}`,
      instructions: 'Answer in one sentence.',
      input: 'Days until New Year?',
      tools: [NOW_TOOL],
    })
    const call = turn1.output[0] as ResponseFunctionToolCall
    expect(call.type).toBe('function_call')

    const second = await scenario({ fixture: 'gemini-3-empty-text-signature.reframed.sse' })
    const turn2 = await openai.responses.create({
      model: `gemini/${second}`,
      previous_response_id: turn1.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '2025-12-29' }],
      tools: [NOW_TOOL],
    })
    expect(turn2.model).toBe('gemini-3-pro-preview')
    expect(turn2.previous_response_id).toBe(turn1.id)
    expect(turn2.output_text).toBe(await geminiFixtureText('gemini-3-empty-text-signature.reframed.sse'))

    const third = await scenario({ fixture: 'gemini-basic.sse' })
    const turn3 = await openai.responses.create({
      model: `gemini/${third}`,
      previous_response_id: turn2.id,
      input: 'Thanks!',
    })
    expect(turn3.output_text).toBe(await geminiFixtureText('gemini-basic.sse'))
    const signature = await signatureOf(callFixture)
    const [request2] = await upstreamRequests(second)
    const [request3] = await upstreamRequests(third)
    const body2 = request2!.body as { contents: unknown[]; systemInstruction?: unknown }
    const body3 = request3!.body as { contents: unknown[]; systemInstruction?: unknown }
    expect(body2.systemInstruction).toBeUndefined()
    expect(body3.systemInstruction).toBeUndefined()
    expect(body2.contents).toEqual([
      { role: 'user', parts: [{ text: 'Days until New Year?' }] },
      { role: 'model', parts: [{ functionCall: { name: 'now', args: {} }, thoughtSignature: signature }] },
      { role: 'user', parts: [{ functionResponse: { name: 'now', response: { content: '2025-12-29' } } }] },
    ])
    expect(body3.contents).toEqual([
      ...body2.contents,
      { role: 'model', parts: [{ text: turn2.output_text }] },
      { role: 'user', parts: [{ text: 'Thanks!' }] },
    ])
  })

  it('previous_response_id of a store: false response, or an unknown one: 404 previous_response_not_found', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const unstored = await openai.responses.create({ model: `gemini/${model}`, input: 'Hi', store: false })
    for (const id of [unstored.id, 'resp_0123456789abcdef0123456789abcdef0123456789abcdef']) {
      const error = await rejection(
        openai.responses.create({ model: `gemini/${model}`, input: 'And?', previous_response_id: id }),
      )
      expect(error).toBeInstanceOf(OpenAI.NotFoundError)
      expect(error).toMatchObject({
        status: 404,
        error: {
          message: `Previous response with id '${id}' not found. The gateway keeps a Gemini response's conversation for RESPONSES_TTL_MS, unless it was created with store: false.`,
          type: 'invalid_request_error',
          param: 'previous_response_id',
          code: 'previous_response_not_found',
        },
      })
    }
    expect(await upstreamRequests(model)).toHaveLength(1)
  })
})

describe('Gemini errors reach the SDK as its usual error classes', () => {
  const cases: [string, number, abstract new (...args: never[]) => Error][] = [
    // The gateway's own key rejected: not the client's fault (502), as on chat completions.
    ['gemini-error-400-api-key-invalid.json', 502, OpenAI.InternalServerError],
    ['gemini-error-403-no-api-key.json', 502, OpenAI.InternalServerError],
    ['gemini-error-404-model-not-found.json', 404, OpenAI.NotFoundError],
    ['gemini-error-429-resource-exhausted.json', 429, OpenAI.RateLimitError],
    ['gemini-error-500-internal.json', 500, OpenAI.InternalServerError],
    ['gemini-error-503-overloaded.json', 503, OpenAI.InternalServerError],
  ]
  for (const [fixture, status, ErrorClass] of cases) {
    it(`${fixture} → ${ErrorClass.name} ${status}, streamed and not`, async () => {
      const model = await scenario({ fixture })
      for (const stream of [true, false]) {
        const error = await rejection(openai.responses.create({ model: `gemini/${model}`, input: 'Hi', stream }))
        expect(error).toBeInstanceOf(ErrorClass)
        expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(status)
        expect((error as Error).message).toMatch(new RegExp(`^${status} gemini: `))
      }
    })
  }
})

describe('item references to stored items', () => {
  it('an item_reference to an earlier call is read from the response that made it, signature included', async () => {
    const fixture = 'gemini-thinking-function-call.sse'
    const first = await scenario({ fixture })
    const call = await openai.responses.create({
      model: `gemini/${first}`,
      input: 'Days until New Year?',
      tools: [NOW_TOOL],
    })
    const item = call.output[0] as ResponseFunctionToolCall
    const second = await scenario({ fixture: 'gemini-basic.sse' })
    await openai.responses.create({
      model: `gemini/${second}`,
      input: [
        { role: 'user', content: 'Days until New Year?' },
        { type: 'item_reference', id: item.id! },
        { type: 'function_call_output', call_id: item.call_id, output: 'soon' },
      ],
      tools: [NOW_TOOL],
    })
    const [request] = await upstreamRequests(second)
    expect((request!.body as { contents: unknown[] }).contents[1]).toEqual({
      role: 'model',
      parts: [{ functionCall: { name: 'now', args: {} }, thoughtSignature: await signatureOf(fixture) }],
    })
    const unknown = await rejection(
      openai.responses.create({
        model: `gemini/${second}`,
        input: [{ type: 'item_reference', id: `fc_${'0'.repeat(52)}` }],
      }),
    )
    expect(unknown).toBeInstanceOf(OpenAI.BadRequestError)
    expect(unknown).toMatchObject({ error: { param: 'input[0].id' } })
  })
})
