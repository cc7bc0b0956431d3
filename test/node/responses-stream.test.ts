/**
 * The Responses stream renderer, fed the canonical parts of the recorded Gemini streams: the exact
 * events and bytes a client receives, and the rules of readResponsesStream (event = data.type,
 * sequence numbers without gaps, one terminal event, item ids), for text, a signed function call
 * after thoughts, a blocked prompt, a safety stop, a mid-stream error, a length stop, a custom
 * tool, a cancellation and a relayed OpenAI stream.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createResponsesStreamRenderer } from '../../src/renderers/responses/stream'
import type { ResponsesRenderOptions } from '../../src/renderers/responses/options'
import type { AnswerResult } from '../../src/canonical/parts'
import { ProviderError } from '../../src/providers/errors'
import { playGeminiFixture } from '../support/gemini-parts'
import { readResponsesStream, type ResponsesEvent } from '../support/responses-sse'
import { DIGITS, ID, OPTIONS, responseJson, sse, testRecord } from '../support/responses-expected'

const decoder = new TextDecoder()

function renderer(extra: Partial<ResponsesRenderOptions> = {}) {
  const chunks: string[] = []
  const writer = {
    event: (text: string) => {
      chunks.push(text)
      return Buffer.byteLength(text)
    },
    events: (bytes: Uint8Array) => {
      chunks.push(decoder.decode(bytes))
    },
  }
  const rendered = createResponsesStreamRenderer(writer, testRecord(), { ...OPTIONS, ...extra })
  return { renderer: rendered, raw: () => chunks.join('') }
}

/** Plays a Gemini fixture through a renderer; a thrown error goes to `fail`, as the engine does. */
function play(fixture: string, extra: Partial<ResponsesRenderOptions> = {}) {
  const { renderer: rendered, raw } = renderer(extra)
  try {
    rendered.done(playGeminiFixture(fixture, rendered), 1)
  } catch (error) {
    rendered.fail(error)
  }
  const body = raw()
  return { raw: body, events: readResponsesStream(body), renderer: rendered }
}

const types = (events: ResponsesEvent[]) => events.map((event) => event.type)
const result = (finish: AnswerResult['finish']): AnswerResult => ({
  provider: 'gemini',
  model: 'gemini-2.5-flash',
  finish,
  rawFinish: finish,
})

describe('Responses stream renderer: recorded Gemini answers', () => {
  it('text (gemini-basic.sse): the whole stream, byte for byte', () => {
    const { raw } = play('gemini-basic.sse')
    const msg = `msg_${DIGITS}0000`
    const text = 'The capital of Wyoming is **Cheyenne**.\n'
    const part = { type: 'output_text', annotations: [], logprobs: [], text }
    const item = { id: msg, type: 'message', status: 'completed', content: [part], role: 'assistant' }
    const at = { item_id: msg, output_index: 0, content_index: 0 }
    expect(raw).toBe(
      sse([
        ['response.created', { response: responseJson({ status: 'in_progress', model: 'gemini-2.0-flash' }) }],
        ['response.in_progress', { response: responseJson({ status: 'in_progress', model: 'gemini-2.0-flash' }) }],
        ['response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } }],
        ['response.content_part.added', { ...at, part: { ...part, text: '' } }],
        ['response.output_text.delta', { ...at, delta: 'The', logprobs: [] }],
        ['response.output_text.delta', { ...at, delta: ' capital of Wyoming', logprobs: [] }],
        ['response.output_text.delta', { ...at, delta: ' is **Cheyenne**.\n', logprobs: [] }],
        ['response.output_text.done', { ...at, text, logprobs: [] }],
        ['response.content_part.done', { ...at, part }],
        ['response.output_item.done', { output_index: 0, item }],
        [
          'response.completed',
          {
            response: responseJson({
              status: 'completed',
              completed_at: 1758064440,
              model: 'gemini-2.0-flash',
              output: [item],
              usage: {
                input_tokens: 7,
                input_tokens_details: { cached_tokens: 0 },
                output_tokens: 10,
                output_tokens_details: { reasoning_tokens: 0 },
                total_tokens: 17,
              },
            }),
          },
        ],
      ]),
    )
  })

  it('thinking + function call, summary asked: a reasoning item, then the call with its signature in call_id', () => {
    const { events } = play('gemini-thinking-function-call.sse', { reasoningSummary: true })
    expect(types(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ])
    const fixture = readFileSync(new URL('../fixtures/gemini-thinking-function-call.sse', import.meta.url), 'utf8')
    const signature = /"thoughtSignature": "([^"]+)"/.exec(fixture)![1]!
    const call = {
      id: `fc_${DIGITS}0001`,
      type: 'function_call',
      status: 'completed',
      arguments: '{}',
      call_id: expect.stringMatching(new RegExp(`^call_[A-Za-z0-9]{24}~${signature.replace(/[+/]/g, '\\$&')}$`)),
      name: 'now',
    }
    expect(events[9]).toEqual({
      type: 'response.output_item.added',
      sequence_number: 9,
      output_index: 1,
      item: { ...call, status: 'in_progress', arguments: '' },
    })
    const completed = events.at(-1)!.response as { output: { summary?: { text: string }[] }[]; usage: unknown }
    expect(completed.output[1]).toEqual(call)
    expect(completed.output[0]!.summary![0]!.text).toMatch(
      /^\*\*Calculating the Days\*\*[\s\S]*\*\*Determining the Approach\*\*/,
    )
    expect(completed.usage).toEqual({
      input_tokens: 38,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 174,
      output_tokens_details: { reasoning_tokens: 168 },
      total_tokens: 212,
    })
    // The thoughts are never answer text.
    expect(events.some((event) => event.type === 'response.output_text.delta')).toBe(false)
  })

  it('thinking without a summary asked: no reasoning item, the call at output_index 0', () => {
    const { events } = play('gemini-thinking-function-call.sse')
    expect(types(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ])
    expect((events[2]!.item as { id: string }).id).toBe(`fc_${DIGITS}0000`)
  })

  it('thinking then text, summary asked: reasoning at 0, the message at 1, thoughts not in the text', () => {
    const { events } = play('gemini-thinking.sse', { reasoningSummary: true })
    const output = (events.at(-1)!.response as { output: { type: string; content?: { text: string }[] }[] }).output
    expect(output.map((item) => item.type)).toEqual(['reasoning', 'message'])
    expect(output[1]!.content![0]!.text).toMatch(/^The sky is blue/)
    expect(output[1]!.content![0]!.text).not.toContain('**')
  })

  it('a blocked prompt: created, in_progress, then response.incomplete (content_filter) with no output', () => {
    const { events } = play('gemini-prompt-blocked.sse')
    expect(types(events)).toEqual(['response.created', 'response.in_progress', 'response.incomplete'])
    const response = events[2]!.response as Record<string, unknown>
    expect(response).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'content_filter' },
      output: [],
    })
    expect(response.usage).toEqual({
      input_tokens: 0,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 0,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 0,
    })
  })

  it('a safety stop: the message closes incomplete, then response.incomplete (content_filter)', () => {
    const { events } = play('gemini-safety-finish.sse')
    expect(types(events).slice(-5)).toEqual([
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.incomplete',
    ])
    expect((events.at(-2)!.item as { status: string }).status).toBe('incomplete')
    expect(events.at(-1)!.response).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'content_filter' },
    })
  })

  it('a mid-stream error: the open reasoning item stays open, then error (nested) and response.failed', () => {
    const { raw, events } = play('gemini-midstream-error-503.constructed.sse', { reasoningSummary: true })
    expect(types(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'error',
      'response.failed',
    ])
    const message =
      'gemini: the provider reported an error during the answer (503, service unavailable or overloaded). The answer is incomplete. Retry in a few seconds.'
    expect(raw).toContain(
      `event: error\ndata: {"type":"error","sequence_number":6,"error":{"type":"server_error","code":"server_error","message":"${message}","param":null}}\n\n`,
    )
    expect(events[7]!.response).toMatchObject({
      status: 'failed',
      error: { code: 'server_error', message },
      usage: null,
    })
  })

  it('a 429 after the stream began is rate_limit_exceeded, which Codex retries after a delay', () => {
    const { renderer: rendered, raw } = renderer()
    rendered.text('Hi')
    rendered.fail(new ProviderError('gemini', 'upstream_stream_error', 'gemini: quota (429)', { status: 429 }))
    const events = readResponsesStream(raw())
    expect(events.at(-2)).toMatchObject({
      type: 'error',
      error: { type: 'rate_limit_error', code: 'rate_limit_exceeded' },
    })
    expect(events.at(-1)!.response).toMatchObject({
      error: { code: 'rate_limit_exceeded', message: 'gemini: quota (429)' },
    })
  })

  it('nothing is written before the first shown part: hidden thoughts leave the engine free to retry', () => {
    const { renderer: rendered } = renderer()
    rendered.reasoning('thinking…')
    expect(rendered.written).toBe(0)
    const reply = rendered.failedResponse!(
      new ProviderError('gemini', 'upstream_status', 'gemini: service unavailable or overloaded (503)', {
        status: 503,
      }),
    )
    expect(reply.status).toBe(503)
  })
})

describe('Responses stream renderer: finishes and tools', () => {
  it('length: the message is incomplete and the terminal is response.incomplete (max_output_tokens)', () => {
    const { renderer: rendered, raw } = renderer()
    rendered.text('Mango sun-kissed')
    rendered.done(result('length'), 1)
    const events = readResponsesStream(raw())
    expect(events.at(-1)!.response).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      completed_at: null,
      output: [{ type: 'message', status: 'incomplete', content: [{ text: 'Mango sun-kissed' }] }],
    })
  })

  it('a custom tool: its {"input"} arguments come out as the raw input, never as JSON', () => {
    const { renderer: rendered, raw } = renderer({ customTools: ['apply_patch'] })
    const patch = '*** Begin Patch\n*** Add File: a.txt\n+héllo "world"\n*** End Patch'
    rendered.toolCallStart({ index: 0, id: 'call_p', name: 'apply_patch', signature: 'c2ln' })
    rendered.toolCallDelta(0, JSON.stringify({ input: patch }))
    rendered.toolCallEnd(0)
    rendered.done(result('tool-calls'), 1)
    const ctc = `ctc_${DIGITS}0000`
    const item = {
      id: ctc,
      type: 'custom_tool_call',
      status: 'completed',
      call_id: 'call_p~c2ln',
      input: patch,
      name: 'apply_patch',
    }
    expect(raw()).toContain(
      sse(
        [
          ['response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', input: '' } }],
          ['response.custom_tool_call_input.delta', { output_index: 0, item_id: ctc, delta: patch }],
          ['response.custom_tool_call_input.done', { output_index: 0, item_id: ctc, input: patch }],
          ['response.output_item.done', { output_index: 0, item }],
        ],
        2,
      ),
    )
    expect((readResponsesStream(raw()).at(-1)!.response as { output: unknown[] }).output).toEqual([item])
  })

  it('two calls in one answer: two items, distinct ids, call_ids as in the deltas', () => {
    const { renderer: rendered, raw } = renderer()
    for (const [index, city] of ['Hà Nội', 'Paris'].entries()) {
      rendered.toolCallStart({ index, id: `call_${index}`, name: 'weather' })
      rendered.toolCallDelta(index, '{"city":')
      rendered.toolCallDelta(index, JSON.stringify(city) + '}')
      rendered.toolCallEnd(index)
    }
    rendered.done(result('tool-calls'), 1)
    const events = readResponsesStream(raw())
    const output = (events.at(-1)!.response as { output: { call_id: string; arguments: string }[] }).output
    expect(output.map((item) => [item.call_id, item.arguments])).toEqual([
      ['call_0', '{"city":"Hà Nội"}'],
      ['call_1', '{"city":"Paris"}'],
    ])
  })

  it('cancelled: no done events for the open message, then response.incomplete with status cancelled', () => {
    const { renderer: rendered, raw } = renderer()
    rendered.text('Partial')
    rendered.cancelled({ provider: 'gemini', model: 'gemini-2.5-flash', attempts: 1 })
    rendered.text(' more')
    const events = readResponsesStream(raw())
    expect(types(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.incomplete',
    ])
    expect(events.at(-1)!.response).toMatchObject({
      status: 'cancelled',
      incomplete_details: null,
      usage: null,
      output: [{ status: 'incomplete', content: [{ text: 'Partial' }] }],
    })
    expect(rendered.snapshot()).toMatchObject({ id: ID, status: 'cancelled' })
  })

  it('background: response.created (queued), response.queued, then response.in_progress', () => {
    const { renderer: rendered, raw } = renderer({ echo: { ...OPTIONS.echo!, background: true } })
    rendered.text('Hi')
    rendered.done(result('stop'), 1)
    const events = readResponsesStream(raw())
    expect(types(events).slice(0, 3)).toEqual(['response.created', 'response.queued', 'response.in_progress'])
    expect(events.slice(0, 3).map((event) => (event.response as { status: string }).status)).toEqual([
      'queued',
      'queued',
      'in_progress',
    ])
  })
})

describe('Responses stream renderer: a relayed OpenAI stream', () => {
  const recorded = readFileSync(new URL('../fixtures/openai-responses-text.sse', import.meta.url))
  const frames = recorded
    .toString('utf8')
    .split(/(?<=\n\n)/)
    .map((text) => new TextEncoder().encode(text))

  it('writes the frames unchanged, counts them, and adds nothing at the end', () => {
    const { renderer: rendered, raw } = renderer()
    for (const frame of frames) rendered.raw(frame)
    rendered.done(result('stop'), 1)
    expect(rendered.written).toBe(frames.length)
    expect(raw()).toBe(recorded.toString('utf8'))
  })

  it('a relay that breaks off ends with error + response.failed, numbered on, with the same response id', () => {
    const { renderer: rendered, raw } = renderer()
    for (const frame of frames.slice(0, 6)) rendered.raw(frame)
    rendered.fail(new ProviderError('openai', 'truncated', 'openai: the answer stopped before its end.'))
    const events = readResponsesStream(raw())
    expect(types(events).slice(-2)).toEqual(['error', 'response.failed'])
    expect(events.at(-1)).toMatchObject({
      sequence_number: 7,
      response: { id: 'resp_0976c6df58902d6a0068c9ef349f8881968e62cd0dd40b45bf', status: 'failed', usage: null },
    })
  })

  it('a relay cancelled after its terminal event adds nothing', () => {
    const { renderer: rendered, raw } = renderer()
    for (const frame of frames) rendered.raw(frame)
    rendered.cancelled({ provider: 'openai', model: 'gpt-4o-mini', attempts: 1 })
    expect(raw()).toBe(recorded.toString('utf8'))
  })
})
