/**
 * The official `openai` SDK reads what the Responses parser and renderers make of the recorded
 * Gemini answers: a tiny node:http server on 127.0.0.1 parses each `POST /v1/responses` body,
 * plays the Gemini fixture its input names into a stream or whole renderer, and answers; the SDK's
 * `responses.stream()` / `finalResponse()`, `responses.create()` streamed and not, and its errors
 * must all accept it. A function call's signature comes back through the SDK on the next turn.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import OpenAI, { APIError } from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseResponsesBody } from '../../src/apis/responses/parse'
import { createResponsesStreamRenderer } from '../../src/renderers/responses/stream'
import { createResponsesWholeRenderer } from '../../src/renderers/responses/whole'
import type { AnswerResult, PartSink } from '../../src/canonical/parts'
import type { CanonicalRequest } from '../../src/canonical/request'
import type { Renderer } from '../../src/canonical/renderer'
import { invalidParams } from '../../src/renderers/chat/errors'
import { playGeminiFixture } from '../support/gemini-parts'
import { testRecord } from '../support/responses-expected'

const PATCH = '*** Begin Patch\n*** Add File: hello.txt\n+Xin chào 👋\n*** End Patch'
let server: Server
let client: OpenAI
const seen: CanonicalRequest[] = []

/** What the model "answers" for a prompt: a Gemini fixture by name, or a scripted custom call / cancel. */
function answer(prompt: string, sink: PartSink & Pick<Renderer, 'cancelled'>): AnswerResult | undefined {
  if (prompt === 'custom') {
    sink.toolCallStart({ index: 0, id: 'call_patch', name: 'apply_patch' })
    sink.toolCallDelta(0, JSON.stringify({ input: PATCH }))
    sink.toolCallEnd(0)
    return { provider: 'gemini', model: 'gemini-2.5-flash', finish: 'tool-calls', rawFinish: 'STOP' }
  }
  if (prompt === 'cancel') {
    sink.text('Part of an answer')
    sink.cancelled({ provider: 'gemini', model: 'gemini-2.5-flash', attempts: 1 })
    return undefined
  }
  return playGeminiFixture(prompt, sink)
}

function lastUserText(request: CanonicalRequest): string {
  const user = request.messages.findLast((message) => message.role === 'user')
  return user?.parts.map((part) => (part.type === 'text' ? part.text : '')).join('') ?? ''
}

async function send(res: ServerResponse, reply: Response): Promise<void> {
  res.writeHead(reply.status, Object.fromEntries(reply.headers))
  res.end(Buffer.from(await reply.arrayBuffer()))
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const parsed = parseResponsesBody(JSON.parse(Buffer.concat(chunks).toString('utf8')))
  if ('issues' in parsed) return send(res, invalidParams(parsed.issues))
  if (parsed.untranslatable.length > 0) return send(res, invalidParams(parsed.untranslatable))
  seen.push(parsed.request)
  const prompt = lastUserText(parsed.request)
  const options = { ...parsed.options, model: parsed.options.model ?? 'gemini-2.5-flash' }
  if (!parsed.options.stream) {
    const whole = createResponsesWholeRenderer(testRecord(), options)
    try {
      const result = answer(prompt, whole)
      if (result) whole.done(result, 1)
    } catch (error) {
      whole.fail(error)
    }
    return send(res, whole.response())
  }
  const writer = {
    event(text: string) {
      if (!res.headersSent) res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' })
      res.write(text)
      return Buffer.byteLength(text)
    },
    events(bytes: Uint8Array) {
      res.write(bytes)
    },
  }
  const stream = createResponsesStreamRenderer(writer, testRecord(), options)
  try {
    const result = answer(prompt, stream)
    if (result) stream.done(result, 1)
  } catch (error) {
    if (stream.written === 0) return send(res, stream.failedResponse!(error))
    stream.fail(error)
  }
  res.end()
}

beforeAll(async () => {
  server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500).end(String(error))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as { port: number }
  client = new OpenAI({ apiKey: 'sk-test', baseURL: `http://127.0.0.1:${address.port}/v1`, maxRetries: 0 })
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe('the openai SDK reads the Responses renderers', () => {
  it('responses.stream(): every event accepted, finalResponse() with output_text and usage', async () => {
    const stream = client.responses.stream({ model: 'gemini-2.0-flash', input: 'gemini-basic.sse' })
    let deltas = ''
    stream.on('response.output_text.delta', (event) => {
      deltas += event.delta
    })
    const final = await stream.finalResponse()
    expect(deltas).toBe('The capital of Wyoming is **Cheyenne**.\n')
    expect(final.output_text).toBe('The capital of Wyoming is **Cheyenne**.\n')
    expect(final.status).toBe('completed')
    expect(final.usage).toMatchObject({ input_tokens: 7, output_tokens: 10, total_tokens: 17 })
  })

  it('responses.create({ stream: true }): the events in order, one terminal event', async () => {
    const events = await client.responses.create({
      model: 'gemini-2.5-flash',
      input: 'gemini-thinking.sse',
      reasoning: { effort: 'low', summary: 'auto' },
      stream: true,
    })
    const types: string[] = []
    for await (const event of events) types.push(event.type)
    expect(types.filter((type) => type.startsWith('response.reasoning_summary_text.delta')).length).toBeGreaterThan(0)
    expect(types.at(-1)).toBe('response.completed')
    expect(types.filter((type) => type === 'response.completed')).toHaveLength(1)
  })

  it('responses.create() not streamed: the whole response, output_text computed by the SDK', async () => {
    const response = await client.responses.create({ model: 'gemini-2.0-flash', input: 'gemini-basic.sse' })
    expect(response.object).toBe('response')
    expect(response.output_text).toBe('The capital of Wyoming is **Cheyenne**.\n')
    expect(response.usage?.output_tokens_details.reasoning_tokens).toBe(0)
  })

  it('a function call round trip: the signature comes back inside the call_id on the next turn', async () => {
    const tools = [
      { type: 'function' as const, name: 'now', parameters: { type: 'object', properties: {} }, strict: false },
    ]
    const first = await client.responses
      .stream({
        model: 'gemini-2.5-flash',
        input: 'gemini-thinking-function-call.sse',
        tools,
        reasoning: { summary: 'auto' },
      })
      .finalResponse()
    expect(first.output.map((item) => item.type)).toEqual(['reasoning', 'function_call'])
    const call = first.output[1] as OpenAI.Responses.ResponseFunctionToolCall
    expect(call.name).toBe('now')
    const second = await client.responses.create({
      model: 'gemini-2.5-flash',
      tools,
      input: [
        { role: 'user', content: 'gemini-thinking-function-call.sse' },
        ...(first.output as OpenAI.Responses.ResponseInputItem[]),
        { type: 'function_call_output', call_id: call.call_id, output: '{"now":"2025-07-28"}' },
        { role: 'user', content: 'gemini-basic.sse' },
      ],
    })
    expect(second.output_text).toBe('The capital of Wyoming is **Cheyenne**.\n')
    const assistant = seen.at(-1)!.messages.find((message) => message.role === 'assistant')!
    const signed = assistant.parts.find((part) => part.type === 'tool-call')
    expect(signed).toMatchObject({
      type: 'tool-call',
      name: 'now',
      input: '{}',
      signature: expect.stringMatching(/^CiIBVKhc/),
    })
  })

  it('a custom tool: the SDK gets a custom_tool_call whose input is the raw patch', async () => {
    const final = await client.responses
      .stream({ model: 'gemini-2.5-flash', input: 'custom', tools: [{ type: 'custom', name: 'apply_patch' }] })
      .finalResponse()
    expect(final.output).toEqual([
      expect.objectContaining({ type: 'custom_tool_call', name: 'apply_patch', input: PATCH, call_id: 'call_patch' }),
    ])
  })

  it('a blocked prompt and a safety stop: finalResponse() resolves incomplete (content_filter)', async () => {
    for (const input of ['gemini-prompt-blocked.sse', 'gemini-safety-finish.sse']) {
      const final = await client.responses.stream({ model: 'gemini-2.5-flash', input }).finalResponse()
      expect(final.status).toBe('incomplete')
      expect(final.incomplete_details).toEqual({ reason: 'content_filter' })
    }
  })

  it('a cancelled stream: finalResponse() resolves with status cancelled', async () => {
    const final = await client.responses.stream({ model: 'gemini-2.5-flash', input: 'cancel' }).finalResponse()
    expect(final.status).toBe('cancelled')
    expect(final.output_text).toBe('Part of an answer')
  })

  it('an error after the stream began: the SDK throws APIError with the message', async () => {
    const stream = client.responses.stream({
      model: 'gemini-2.5-flash',
      input: 'gemini-midstream-error-503.constructed.sse',
      reasoning: { summary: 'detailed' },
    })
    const error = await stream.finalResponse().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(APIError)
    expect((error as APIError).message).toContain('(503, service unavailable or overloaded)')
  })

  it('an error before any event: the JSON error with the provider status, streamed or not', async () => {
    for (const stream of [true, false]) {
      const error = await client.responses
        .create({ model: 'gemini-2.5-flash', input: 'gemini-midstream-error-503.constructed.sse', stream })
        .catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(APIError)
      expect((error as APIError).status).toBe(503)
    }
  })

  it('a parameter Gemini cannot honour: a 400 BadRequestError naming it', async () => {
    const error = await client.responses
      .create({ model: 'gemini-2.5-flash', input: 'Hi', conversation: 'conv_1' })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect((error as APIError).message).toContain('conversation: unsupported for Gemini')
  })
})
