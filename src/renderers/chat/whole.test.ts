import { describe, expect, it } from 'vitest'
import { testRecord } from '../../../test/worker/render-kit'
import { upstreamStatusError } from '../../providers/errors'
import { createChatWholeRenderer } from './whole'

function whole() {
  const { record, logLine } = testRecord('gemini-2.5-flash')
  return { renderer: createChatWholeRenderer(record), logLine }
}

/** The body's `id` and `created`, which the renderer makes. */
async function idAndTime(response: Response): Promise<{ text: string; id: string; created: number }> {
  const text = await response.text()
  const { id, created } = JSON.parse(text) as { id: string; created: number }
  expect(id).toMatch(/^chatcmpl-[0-9a-f]{24}$/)
  return { text, id, created }
}

describe('the whole chat.completion renderer', () => {
  it('text parts in one message, with the finish reason and the usage, byte for byte', async () => {
    const { renderer, logLine } = whole()
    renderer.begin?.('gemini', 'gemini-2.5-flash')
    renderer.reasoning('Thinking…')
    renderer.text('Hi')
    renderer.text(' "there" é')
    const usage = { inputTokens: 7, outputTokens: 12, reasoningTokens: 2, cachedInputTokens: 1, totalTokens: 19 }
    renderer.done(
      { provider: 'gemini', model: 'gemini-2.5-flash-001', finish: 'length', rawFinish: 'MAX_TOKENS', usage },
      1,
    )
    const response = renderer.response()
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    const { text, id, created } = await idAndTime(response)
    expect(text).toBe(
      `{"id":"${id}","object":"chat.completion","created":${created},"model":"gemini-2.5-flash-001",` +
        '"choices":[{"index":0,"message":{"role":"assistant","content":"Hi \\"there\\" é","refusal":null},"logprobs":null,"finish_reason":"length"}],' +
        '"usage":{"prompt_tokens":7,"completion_tokens":12,"total_tokens":19,"prompt_tokens_details":{"cached_tokens":1},"completion_tokens_details":{"reasoning_tokens":2}}}',
    )
    // Bytes, not characters: é is two.
    expect(logLine()).toMatchObject({ bytes: text.length + 1, finish_reason: 'MAX_TOKENS' })
  })

  it('tool calls: content null, each call whole (a Gemini signature inside its id); none: arguments {}', async () => {
    const { renderer } = whole()
    renderer.begin?.('gemini', 'gemini-2.5-flash')
    renderer.toolCallStart({ index: 0, id: 'call_A', name: 'now', signature: 'c2ln' })
    renderer.toolCallDelta(0, '{"a"')
    renderer.toolCallDelta(0, ':1}')
    renderer.toolCallEnd(0)
    renderer.toolCallStart({ index: 1, id: 'call_B', name: 'get' })
    renderer.toolCallEnd(1)
    renderer.done({ provider: 'gemini', model: '<bad name>', finish: 'tool-calls', rawFinish: 'STOP' }, 1)
    const { text, id, created } = await idAndTime(renderer.response())
    expect(text).toBe(
      `{"id":"${id}","object":"chat.completion","created":${created},"model":"gemini-2.5-flash",` +
        '"choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":null,"tool_calls":[' +
        '{"id":"call_A~c2ln","type":"function","function":{"name":"now","arguments":"{\\"a\\":1}"}},' +
        '{"id":"call_B","type":"function","function":{"name":"get","arguments":"{}"}}]},"logprobs":null,"finish_reason":"tool_calls"}],' +
        '"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}',
    )
  })

  it('OpenAI’s own body passes through as it came', async () => {
    const { renderer, logLine } = whole()
    const body = '{"id":"chatcmpl-upstream","object":"chat.completion","choices":[],"service_tier":"default","x":"é"}'
    renderer.raw(new TextEncoder().encode(body))
    renderer.done({ provider: 'openai', model: 'gpt-x', finish: 'stop', rawFinish: 'stop' }, 1)
    const response = renderer.response()
    expect(response.status).toBe(200)
    expect(await response.text()).toBe(body)
    expect(logLine()).toMatchObject({ bytes: new TextEncoder().encode(body).byteLength })
  })

  it('a failure: the OpenAI-shaped error with the status of the one table', async () => {
    const { renderer, logLine } = whole()
    renderer.fail(upstreamStatusError('openai', 503, 'Overloaded, org-2UNBOwAjq6LkaA8Fl347aXVc', { cause: 'HTTP 503' }))
    const response = renderer.response()
    expect(response.status).toBe(503)
    expect(await response.text()).toBe(
      '{"error":{"message":"openai: service unavailable or overloaded (HTTP 503). Retry in a few seconds.","type":"server_error","param":null,"code":"upstream_status"}}',
    )
    expect(logLine()).toMatchObject({ error: { cause: 'HTTP 503: Overloaded, org-2UNBOwAjq6LkaA8Fl347aXVc' } })
  })
})
