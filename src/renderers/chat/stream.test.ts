import { describe, expect, it } from 'vitest'
import type { AnswerResult } from '../../canonical/parts'
import { testRecord, textWriter } from '../../../test/worker/render-kit'
import { missingKeyError, upstreamStatusError } from '../../providers/errors'
import { createChatStreamRenderer } from './stream'

function chat(includeUsage = false) {
  const { writer, writes } = textWriter()
  const { record, logLine } = testRecord('gemini-2.5-flash')
  return { renderer: createChatStreamRenderer(writer, record, { includeUsage }), writes, logLine }
}

/** The frame the renderer writes for `delta`, with the id and time its first frame carries. */
function framer(writes: string[]) {
  const head = /^data: \{"id":"(chatcmpl-[0-9a-f]{24})","object":"chat\.completion\.chunk","created":(\d+),/.exec(
    writes[0] ?? '',
  )
  if (!head) throw new Error(`not a chunk frame: ${writes[0]}`)
  const [, id, created] = head
  const envelope = (model: string) =>
    `{"id":"${id}","object":"chat.completion.chunk","created":${created},"model":"${model}"`
  return {
    frame: (model: string, delta: object, finish: string | null = null) =>
      `data: ${envelope(model)},"choices":[{"index":0,"delta":${JSON.stringify(delta)},"finish_reason":${finish === null ? 'null' : `"${finish}"`}}]}\n\n`,
    usage: (model: string, usage: object) =>
      `data: ${envelope(model)},"choices":[],"usage":${JSON.stringify(usage)}}\n\n`,
  }
}

const DONE = 'data: [DONE]\n\n'
const gemini = (fields: Partial<AnswerResult> = {}): AnswerResult => ({
  provider: 'gemini',
  model: 'gemini-2.5-flash-001',
  finish: 'stop',
  rawFinish: 'STOP',
  ...fields,
})

describe('the chat stream renderer writes chat.completion.chunk frames byte for byte', () => {
  it('text: the first frame with the role, one frame per part, the finish, the usage frame, [DONE]', () => {
    const { renderer, writes, logLine } = chat(true)
    renderer.begin?.('gemini', 'gemini-2.5-flash')
    renderer.modelName?.('gemini-2.5-flash-001')
    renderer.reasoning('Planning…')
    expect(renderer.written).toBe(0)
    renderer.text('Hi')
    renderer.text(' "there" é')
    renderer.modelName?.('ignored-once-started')
    const usage = { inputTokens: 7, outputTokens: 12, reasoningTokens: 2, cachedInputTokens: 1, totalTokens: 19 }
    renderer.done(gemini({ usage }), 1)
    const { frame, usage: usageFrame } = framer(writes)
    const model = 'gemini-2.5-flash-001'
    expect(writes).toEqual([
      frame(model, { role: 'assistant', content: 'Hi' }),
      frame(model, { content: ' "there" é' }),
      frame(model, {}, 'stop'),
      usageFrame(model, {
        prompt_tokens: 7,
        completion_tokens: 12,
        total_tokens: 19,
        prompt_tokens_details: { cached_tokens: 1 },
        completion_tokens_details: { reasoning_tokens: 2 },
      }),
      DONE,
    ])
    expect(logLine()).toMatchObject({ pieces: 3, finish_reason: 'STOP', model })
  })

  it('Gemini tool calls: one frame each with id (signature inside), name and whole arguments', () => {
    const { renderer, writes } = chat()
    renderer.begin?.('gemini', 'gemini-2.5-flash')
    renderer.toolCallStart({ index: 0, id: 'call_A', name: 'now', signature: 'c2ln' })
    renderer.toolCallDelta(0, '{}')
    renderer.toolCallEnd(0)
    renderer.toolCallStart({ index: 1, id: 'call_B', name: 'get' })
    renderer.toolCallDelta(1, '{"q":"ü"}')
    renderer.toolCallEnd(1)
    renderer.done(gemini({ finish: 'tool-calls' }), 1)
    const { frame } = framer(writes)
    const call = (index: number, id: string, name: string, args: string) => ({
      tool_calls: [{ index, id, type: 'function', function: { name, arguments: args } }],
    })
    expect(writes).toEqual([
      frame('gemini-2.5-flash', { role: 'assistant', content: null, ...call(0, 'call_A~c2ln', 'now', '{}') }),
      frame('gemini-2.5-flash', call(1, 'call_B', 'get', '{"q":"ü"}')),
      frame('gemini-2.5-flash', {}, 'tool_calls'),
      DONE,
    ])
  })

  it('arguments in pieces: the first with the call, the rest as argument deltas; a call with none', () => {
    const { renderer, writes } = chat()
    renderer.begin?.('openai', 'gpt-x')
    renderer.text('Let me look.')
    renderer.toolCallStart({ index: 0, id: 'call_1', name: 'f' })
    renderer.toolCallDelta(0, '{"a"')
    renderer.toolCallDelta(0, ':1}')
    renderer.toolCallEnd(0)
    renderer.toolCallStart({ index: 1, id: 'call_2', name: 'g' })
    renderer.toolCallEnd(1)
    renderer.done({ ...gemini({ finish: 'tool-calls' }), provider: 'openai', model: 'gpt-x' }, 1)
    const { frame } = framer(writes)
    expect(writes).toEqual([
      frame('gpt-x', { role: 'assistant', content: 'Let me look.' }),
      frame('gpt-x', {
        tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a"' } }],
      }),
      frame('gpt-x', { tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }),
      frame('gpt-x', {
        tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: { name: 'g', arguments: '' } }],
      }),
      frame('gpt-x', {}, 'tool_calls'),
      DONE,
    ])
  })

  it('an answer with no output: one frame with empty content and the finish; the model of the last target', () => {
    const { renderer, writes } = chat(true)
    renderer.begin?.('gemini', 'first-model')
    renderer.begin?.('openai', 'fallback-model')
    renderer.done({ provider: 'openai', model: 'fallback-model', finish: 'length', rawFinish: 'length' }, 2)
    const { frame, usage } = framer(writes)
    const zero = {
      prompt_tokens: 0,
      completion_tokens: 0,
      total_tokens: 0,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    }
    expect(writes).toEqual([
      frame('fallback-model', { role: 'assistant', content: '' }, 'length'),
      usage('fallback-model', zero),
      DONE,
    ])
  })

  it('OpenAI’s own frames pass through as they came, and nothing is added at the end', () => {
    const { renderer, writes, logLine } = chat(true)
    const frames = ['data: {"choices":[{"delta":{"content":"Hé"}}]}\n\n', 'data: {"choices":[]}\n\ndata: [DONE]\n\n']
    for (const text of frames) renderer.raw(new TextEncoder().encode(text))
    renderer.done({ provider: 'openai', model: 'gpt-x', finish: 'stop', rawFinish: 'stop' }, 1)
    expect(writes).toEqual(frames)
    expect(logLine()).toMatchObject({ pieces: 2, bytes: new TextEncoder().encode(frames.join('')).byteLength })
  })

  it('a failure after output and DELETE: an error frame with the code, then [DONE]', () => {
    const failed = chat()
    failed.renderer.text('Hi')
    failed.renderer.fail(upstreamStatusError('gemini', 503, 'Overloaded for project 123456789012', { midStream: true }))
    expect(failed.writes.slice(1)).toEqual([
      'data: {"error":{"message":"gemini: the provider reported an error during the answer (503, service unavailable or overloaded). The answer is incomplete. Retry in a few seconds.","type":"server_error","param":null,"code":"upstream_stream_error"},"request_id":"req-1"}\n\n',
      DONE,
    ])
    const cancelled = chat()
    cancelled.renderer.text('Hi')
    cancelled.renderer.cancelled({ provider: 'gemini', model: 'm', attempts: 1 })
    expect(cancelled.writes.slice(1)).toEqual([
      'data: {"error":{"message":"gateway: the stream was cancelled (DELETE /api/streams/{id}). Send the request again for a new answer.","type":"server_error","param":null,"code":"cancelled"},"request_id":"req-1"}\n\n',
      DONE,
    ])
  })

  it('a failure before output is an HTTP error in OpenAI’s shape, with the status of the one table', async () => {
    const limited = chat().renderer.failedResponse!(
      upstreamStatusError('openai', 429, 'Rate limit reached in organization org-2UNBOwAjq6LkaA8Fl347aXVc', {
        retryAfterMs: 1500,
        reported: { type: 'requests', param: null, code: 'rate_limit_exceeded' },
      }),
    )
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('2')
    expect(await limited.text()).toBe(
      '{"error":{"message":"openai: rate limit or quota exceeded (HTTP 429). Wait a little and retry, or check the plan and billing of the account.","type":"requests","param":null,"code":"rate_limit_exceeded"}}',
    )
    const badKey = chat().renderer.failedResponse!(
      upstreamStatusError('gemini', 400, 'API key not valid. Please pass a valid API key.', {
        reported: { param: null, code: 'invalid_argument' },
      }),
    )
    expect(badKey.status).toBe(502)
    expect(badKey.headers.get('x-should-retry')).toBe('false')
    expect(await badKey.text()).toBe(
      '{"error":{"message":"gemini: invalid API key (HTTP 400). Check the GEMINI_API_KEY secret.","type":"server_error","param":null,"code":"upstream_status"}}',
    )
    const noKey = chat().renderer.failedResponse!(missingKeyError('openai'))
    expect(noKey.status).toBe(503)
    expect(await noKey.json()).toMatchObject({ error: { code: 'not_configured', type: 'server_error' } })
  })
})
