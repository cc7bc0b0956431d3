/**
 * The OpenAI-compatible API in front of Gemini, on workerd, with the official openai SDK as the
 * client and recorded Gemini streams replayed by the fake upstream.
 */
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { fixturePayloads, gateway, geminiFixtureText, scenario, upstreamRequests } from './helpers'
import { collect, collectUntilError, fixtureEvents, rejection, resumableFrames, sdk } from './openai-api-helpers'

const openai = sdk()
const HI = [{ role: 'user' as const, content: 'Hi' }]

/** A whole Gemini answer as the one event of a stream (non-streamed requests go upstream as streams too). */
const asStream = (reply: unknown): string => `data: ${JSON.stringify(reply)}\r\n\r\n`

interface GeminiFixtureChunk {
  usageMetadata?: Record<string, number>
  modelVersion?: string
  responseId?: string
  candidates?: { content?: { parts?: { functionCall?: unknown; thoughtSignature?: string }[] } }[]
}

async function lastPayload(fixture: string): Promise<GeminiFixtureChunk> {
  return (await fixturePayloads(fixture)).at(-1) as GeminiFixtureChunk
}

describe('Gemini through /v1/chat/completions, streamed', () => {
  it('streams the recorded answer: role first, the text, finish_reason "stop", [DONE]', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const { chunks, text, finish } = await collect(
      await openai.chat.completions.create({ model: `gemini/${model}`, messages: HI, stream: true }),
    )
    expect(text).toBe(await geminiFixtureText('gemini-basic.sse'))
    expect(text).toBe('The capital of Wyoming is **Cheyenne**.\n')
    expect(finish).toBe('stop')
    expect(chunks.map((chunk) => chunk.choices[0]?.delta)).toEqual([
      { role: 'assistant', content: 'The' },
      { content: ' capital of Wyoming' },
      { content: ' is **Cheyenne**.\n' },
      {},
    ])
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({ object: 'chat.completion.chunk', model: 'gemini-2.0-flash', id: chunks[0]!.id })
      expect(chunk.usage).toBeUndefined()
    }
    expect(chunks[0]!.id).toMatch(/^chatcmpl-\w+/)
  })

  it('frames every chunk as one data line under its id and ends with data: [DONE]', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const response = await gateway('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: `gemini/${model}`, messages: HI, stream: true }),
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    const frames = resumableFrames(await response.text(), response.headers.get('x-stream-id')!)
    expect(frames).toHaveLength(5)
    expect(frames.at(-1)).toBe('[DONE]')
    const first = JSON.parse(frames[0]!) as { id: string; created: number }
    expect(frames[0]).toBe(
      `{"id":"${first.id}","object":"chat.completion.chunk","created":${first.created},"model":"gemini-2.0-flash","choices":[{"index":0,"delta":{"role":"assistant","content":"The"},"finish_reason":null}]}`,
    )
    expect(frames[3]).toBe(
      `{"id":"${first.id}","object":"chat.completion.chunk","created":${first.created},"model":"gemini-2.0-flash","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
    )
  })

  it('with include_usage: one last chunk with empty choices and the usage, thoughts counted as reasoning', async () => {
    const fixture = 'gemini-thinking.sse'
    const model = await scenario({ fixture })
    const { chunks, text } = await collect(
      await openai.chat.completions.create({
        model: `gemini/${model}`,
        messages: HI,
        stream: true,
        stream_options: { include_usage: true },
      }),
    )
    expect(text).toBe(await geminiFixtureText(fixture))
    expect(text).not.toContain('Exploring Sky Color')
    const usage = (await lastPayload(fixture)).usageMetadata!
    expect(chunks.at(-1)).toMatchObject({ choices: [] })
    expect(chunks.at(-1)!.usage).toEqual({
      prompt_tokens: usage.promptTokenCount,
      completion_tokens: usage.candidatesTokenCount! + usage.thoughtsTokenCount!,
      total_tokens: usage.totalTokenCount,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: usage.thoughtsTokenCount },
    })
    for (const chunk of chunks.slice(0, -1)) {
      expect(chunk.usage).toBeUndefined()
      expect(chunk.choices).toHaveLength(1)
    }
  })

  it('a function call becomes a tool_calls delta (index 0, stable id, JSON arguments) and finish_reason "tool_calls"', async () => {
    const fixture = 'gemini-thinking-function-call.sse'
    const model = await scenario({ fixture })
    const tools = [
      {
        type: 'function' as const,
        function: { name: 'now', description: 'The current time', parameters: { type: 'object', properties: {} } },
      },
    ]
    const { chunks, text, finish } = await collect(
      await openai.chat.completions.create({
        model: `gemini/${model}`,
        messages: [{ role: 'user', content: 'Days until New Year?' }],
        tools,
        stream: true,
      }),
    )
    expect(text).toBe('')
    expect(finish).toBe('tool_calls')
    const signature = (await lastPayload(fixture)).candidates![0]!.content!.parts![0]!.thoughtSignature!
    expect(chunks).toHaveLength(2)
    expect(chunks[0]!.choices[0]!.delta).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          index: 0,
          id: expect.stringMatching(/^call_\w{24}~/),
          type: 'function',
          function: { name: 'now', arguments: '{}' },
        },
      ],
    })
    // The thought signature travels in the id, so the next request can hand it back.
    expect(chunks[0]!.choices[0]!.delta.tool_calls![0]!.id).toBe(
      `${chunks[0]!.choices[0]!.delta.tool_calls![0]!.id!.split('~')[0]}~${signature}`,
    )
    expect(chunks[1]!.choices[0]).toEqual({ index: 0, delta: {}, finish_reason: 'tool_calls' })
    const [request] = await upstreamRequests(model)
    expect(request!.body).toMatchObject({
      tools: [
        {
          functionDeclarations: [
            { name: 'now', description: 'The current time', parametersJsonSchema: { type: 'object', properties: {} } },
          ],
        },
      ],
    })
  })

  it('the tool result goes back as a functionResponse, after the call with its thought signature', async () => {
    const signature = (await lastPayload('gemini-thinking-function-call.sse')).candidates![0]!.content!.parts![0]!
      .thoughtSignature!
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const id = `call_abcdefghijklmnopqrstuvwx~${signature}`
    const { text } = await collect(
      await openai.chat.completions.create({
        model: `gemini/${model}`,
        stream: true,
        messages: [
          { role: 'system', content: 'Use the tools.' },
          { role: 'user', content: 'Days until New Year?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id, type: 'function', function: { name: 'now', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: id, content: '{"time":"2025-07-28T10:00:00Z"}' },
        ],
      }),
    )
    expect(text).toBe(await geminiFixtureText('gemini-basic.sse'))
    const [request] = await upstreamRequests(model)
    expect(request!.body).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'Days until New Year?' }] },
        { role: 'model', parts: [{ functionCall: { name: 'now', args: {} }, thoughtSignature: signature }] },
        { role: 'user', parts: [{ functionResponse: { name: 'now', response: { time: '2025-07-28T10:00:00Z' } } }] },
      ],
      systemInstruction: { parts: [{ text: 'Use the tools.' }] },
    })
  })

  it('translates the request exactly: path, key header, sampling, stop, response_format, reasoning_effort, tool_choice', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    await collect(
      await openai.chat.completions.create({
        model: `gemini/${model}`,
        stream: true,
        messages: [
          { role: 'developer', content: 'Answer in JSON.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Look: ' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            ],
          },
          { role: 'assistant', content: 'Sure.' },
          { role: 'user', content: 'Go on' },
        ],
        temperature: 0.3,
        top_p: 0.9,
        max_completion_tokens: 200,
        stop: ['END'],
        seed: 42,
        presence_penalty: 0.5,
        frequency_penalty: -0.5,
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'answer', schema: { type: 'object', properties: { a: { type: 'string' } } } },
        },
        reasoning_effort: 'low',
        tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
        tool_choice: { type: 'function', function: { name: 'lookup' } },
        user: 'user-1',
        n: 1,
      }),
    )
    const [request] = await upstreamRequests(model)
    expect(request!.path).toBe(`/v1beta/models/${model}:streamGenerateContent?alt=sse`)
    expect(request!.headers['x-goog-api-key']).toBe('test-gemini-key')
    expect(request!.headers.authorization).toBeUndefined()
    expect(request!.body).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'Look: ' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } }] },
        { role: 'model', parts: [{ text: 'Sure.' }] },
        { role: 'user', parts: [{ text: 'Go on' }] },
      ],
      systemInstruction: { parts: [{ text: 'Answer in JSON.' }] },
      generationConfig: {
        temperature: 0.3,
        topP: 0.9,
        maxOutputTokens: 200,
        stopSequences: ['END'],
        seed: 42,
        presencePenalty: 0.5,
        frequencyPenalty: -0.5,
        responseMimeType: 'application/json',
        responseJsonSchema: { type: 'object', properties: { a: { type: 'string' } } },
        thinkingConfig: { thinkingBudget: 1024 },
      },
      tools: [{ functionDeclarations: [{ name: 'lookup', parametersJsonSchema: { type: 'object' } }] }],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['lookup'] } },
    })
  })

  it('json_object, max_tokens, a stop string and tool_choice "none"; Gemini 3 gets a thinking level', async () => {
    const name = `gemini-3-flash-preview-${Date.now()}`
    const scenarioModel = await scenario({ fixture: 'gemini-basic.sse' })
    await collect(
      await openai.chat.completions.create({
        model: `gemini/${scenarioModel}`,
        stream: true,
        messages: HI,
        max_tokens: 50,
        stop: 'END',
        response_format: { type: 'json_object' },
        tools: [{ type: 'function', function: { name: 'lookup' } }],
        tool_choice: 'none',
      }),
    )
    const [request] = await upstreamRequests(scenarioModel)
    expect(request!.body).toMatchObject({
      generationConfig: { maxOutputTokens: 50, stopSequences: ['END'], responseMimeType: 'application/json' },
      tools: [{ functionDeclarations: [{ name: 'lookup' }] }],
      toolConfig: { functionCallingConfig: { mode: 'NONE' } },
    })
    const error = await rejection(
      openai.chat.completions.create({ model: name, messages: HI, reasoning_effort: 'high', stream: true }),
    )
    // Not a replay scenario: the upstream's 404 comes back as the SDK's NotFoundError, which proves the request went out.
    expect(error).toBeInstanceOf(OpenAI.NotFoundError)
    const [gemini3] = await upstreamRequests(name)
    expect(gemini3!.body).toMatchObject({ generationConfig: { thinkingConfig: { thinkingLevel: 'HIGH' } } })
  })

  it('a blocked prompt ends with finish_reason "content_filter" and no content', async () => {
    const model = await scenario({ fixture: 'gemini-prompt-blocked.sse' })
    const { chunks, text, finish } = await collect(
      await openai.chat.completions.create({ model: `gemini/${model}`, messages: HI, stream: true }),
    )
    expect(text).toBe('')
    expect(finish).toBe('content_filter')
    expect(chunks.map((chunk) => chunk.choices[0]?.delta)).toEqual([{ role: 'assistant', content: '' }])
  })

  it('an error after the first chunk is an error frame: the SDK raises APIError naming gemini', async () => {
    const [first, second] = await fixtureEvents('gemini-basic.sse')
    // Two recorded chunks, then Gemini's bare error object without `data:` (WIRE.md §2.7).
    const bare =
      '{\n  "error": {\n    "code": 503,\n    "message": "This model is currently experiencing high demand.",\n    "status": "UNAVAILABLE"\n  }\n}\n'
    const model = await scenario({
      body: `data: ${first}\r\n\r\ndata: ${second}\r\n\r\n${bare}`,
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
    })
    const { text, error } = await collectUntilError(
      await openai.chat.completions.create({ model: `gemini/${model}`, messages: HI, stream: true }),
    )
    expect(text).toBe('The capital of Wyoming')
    expect(error).toBeInstanceOf(OpenAI.APIError)
    expect((error as Error).message).toBe(
      'gemini: the provider reported an error during the answer (503, service unavailable or overloaded). The answer is incomplete. Retry in a few seconds.',
    )
  })

  it('text and an error event in the same network read: the text first, then the error frame', async () => {
    const [first, second] = await fixtureEvents('gemini-basic.sse')
    const error = '{"error": {"code": 429,"message": "Resource exhausted.","status": "RESOURCE_EXHAUSTED"}}'
    const model = await scenario({
      body: `data: ${first}\r\n\r\ndata: ${second}\r\n\r\ndata: ${error}\r\n\r\n`,
      status: 200,
      chunking: 'whole',
    })
    const result = await collectUntilError(
      await openai.chat.completions.create({ model: `gemini/${model}`, messages: HI, stream: true }),
    )
    expect(result.text).toBe('The capital of Wyoming')
    expect(result.error).toBeInstanceOf(OpenAI.APIError)
    expect((result.error as Error).message).toBe(
      'gemini: the provider reported an error during the answer (429, rate limit or quota exceeded). The answer is incomplete. Wait a little and retry, or check the plan and billing of the account.',
    )
  })

  it('an error before any answer text (after thoughts only) is a plain 503 error reply', async () => {
    const model = await scenario({ fixture: 'gemini-midstream-error-503.constructed.sse', status: 200 })
    const error = await rejection(
      openai.chat.completions.create({ model: `gemini/${model}`, messages: HI, stream: true }),
    )
    expect(error).toBeInstanceOf(OpenAI.InternalServerError)
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(503)
    expect((error as Error).message).toContain('gemini: the provider reported an error during the answer (503')
  })

  it('a connection cut mid-answer is an error frame saying the answer is incomplete', async () => {
    const model = await scenario({ fixture: 'gemini-thinking.sse', dropAfterWrites: 4 })
    const { text, error } = await collectUntilError(
      await openai.chat.completions.create({ model: `gemini/${model}`, messages: HI, stream: true }),
    )
    expect(text.length).toBeGreaterThan(0)
    expect((await geminiFixtureText('gemini-thinking.sse')).startsWith(text)).toBe(true)
    expect(error).toBeInstanceOf(OpenAI.APIError)
    expect((error as Error).message).toContain(
      'gemini: the connection to the provider closed before the answer was complete',
    )
  })
})

describe('Gemini through /v1/chat/completions, not streamed', () => {
  it('assembles a chat.completion with the text, finish reason and usage', async () => {
    const reply = {
      candidates: [
        {
          content: {
            parts: [{ text: 'Thinking…', thought: true }, { text: 'The capital is ' }, { text: 'Cheyenne.' }],
            role: 'model',
          },
          finishReason: 'STOP',
          index: 0,
        },
      ],
      usageMetadata: { promptTokenCount: 7, candidatesTokenCount: 4, totalTokenCount: 20, thoughtsTokenCount: 9 },
      modelVersion: 'gemini-2.5-flash',
      responseId: 'abc123',
    }
    const model = await scenario({
      body: asStream(reply),
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
    })
    const completion = await openai.chat.completions.create({ model: `gemini/${model}`, messages: HI })
    expect(completion).toEqual({
      id: expect.stringMatching(/^chatcmpl-[0-9a-f]{24}$/),
      object: 'chat.completion',
      created: expect.any(Number),
      model: 'gemini-2.5-flash',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'The capital is Cheyenne.', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 7,
        completion_tokens: 13,
        total_tokens: 20,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 9 },
      },
    })
    // One engine path: the whole completion is assembled from Gemini's stream.
    const [request] = await upstreamRequests(model)
    expect(request!.path).toBe(`/v1beta/models/${model}:streamGenerateContent?alt=sse`)
  })

  it('a function call: tool_calls with null content and finish_reason "tool_calls"', async () => {
    const last = (await fixturePayloads('gemini-thinking-function-call.sse')).at(-1)
    const model = await scenario({
      body: asStream(last),
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
    })
    const completion = await openai.chat.completions.create({
      model: `gemini/${model}`,
      messages: HI,
      tools: [{ type: 'function', function: { name: 'now' } }],
    })
    expect(completion.choices[0]).toMatchObject({
      message: {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: expect.stringMatching(/^call_\w{24}~CiIB/),
            type: 'function',
            function: { name: 'now', arguments: '{}' },
          },
        ],
      },
      finish_reason: 'tool_calls',
    })
  })
})
