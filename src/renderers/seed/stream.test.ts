import { describe, expect, it } from 'vitest'
import type { AnswerResult } from '../../canonical/parts'
import { TEST_SECRET, testRecord, textWriter } from '../../../test/worker/render-kit'
import { ProviderError, upstreamStatusError } from '../../providers/errors'
import { createSeedRenderer } from './stream'

const result = (fields: Partial<AnswerResult> = {}): AnswerResult => ({
  provider: 'gemini',
  model: 'gemini-2.5-flash-001',
  finish: 'stop',
  rawFinish: 'STOP',
  ...fields,
})

function seed() {
  const { writer, writes, wire } = textWriter()
  const { record, logLine } = testRecord('gemini-2.5-flash')
  return { renderer: createSeedRenderer(writer, record), writes, wire, logLine }
}

/**
 * A renderer whose record started at 1000 ms on a clock that reads `clock.at`, with the upstream's
 * times as the engine writes them: the request left at 1002 and, when `answered`, its headers came at 1182.
 */
function timedSeed(answered: boolean) {
  const clock = { at: 1000 }
  const { writer, wire } = textWriter()
  const { record, logLine } = testRecord('gemini-2.5-flash', () => clock.at)
  record.upstream.sentAt = 1002
  if (answered) record.upstream.answeredAt = 1182
  clock.at = 1500
  return { renderer: createSeedRenderer(writer, record), wire, logLine }
}

describe('the seed renderer writes the gateway’s own events byte for byte', () => {
  it('a text piece per text part, nothing for the rest, then the closing event with usage and attempts', () => {
    const { renderer, writes, wire, logLine } = seed()
    renderer.reasoning('Thinking…')
    renderer.toolCallStart({ index: 0, id: 'call_1', name: 'now' })
    renderer.toolCallDelta(0, '{}')
    renderer.toolCallEnd(0)
    renderer.raw(new TextEncoder().encode('data: {}\n\n'))
    expect(renderer.written).toBe(0)
    renderer.text('Hi "there"\n')
    renderer.text('é😀')
    const usage = { inputTokens: 7, outputTokens: 12, reasoningTokens: 2, cachedInputTokens: 1, totalTokens: 19 }
    renderer.done(result({ usage }), 2)
    expect(wire()).toBe(
      'data: {"chunk":"Hi \\"there\\"\\n","done":false}\n\n' +
        'data: {"chunk":"é😀","done":false}\n\n' +
        'data: {"chunk":"","done":true,"provider":"gemini","model":"gemini-2.5-flash-001","finish_reason":"stop",' +
        '"usage":{"prompt_tokens":7,"completion_tokens":12,"total_tokens":19,"reasoning_tokens":2},"attempts":2,"request_id":"req-1"}\n\n',
    )
    expect(writes).toHaveLength(3)
    expect(renderer.written).toBe(3)
    const piecesBytes = new TextEncoder().encode(writes[0]! + writes[1]!).byteLength
    expect(logLine()).toMatchObject({
      outcome: 'done',
      pieces: 2,
      bytes: piecesBytes,
      model: 'gemini-2.5-flash-001',
      finish_reason: 'stop',
      usage: { prompt_tokens: 7, completion_tokens: 12, total_tokens: 19, reasoning_tokens: 2 },
    })
  })

  it('finish reasons in the gateway’s words; an unsafe model name is replaced by the one asked for', () => {
    const cases: [Partial<AnswerResult>, string][] = [
      [{ finish: 'length', rawFinish: 'MAX_TOKENS' }, 'length'],
      [{ finish: 'tool-calls', rawFinish: 'STOP' }, 'tool_calls'],
      [{ provider: 'openai', finish: 'refusal', rawFinish: 'stop' }, 'refusal'],
      [{ provider: 'openai', finish: 'other', rawFinish: 'Function_Call' }, 'function_call'],
    ]
    for (const [fields, finishReason] of cases) {
      const { renderer, wire } = seed()
      renderer.done(result({ ...fields, model: '<script>' }), 1)
      expect(wire()).toBe(
        `data: {"chunk":"","done":true,"provider":"${fields.provider ?? 'gemini'}","model":"gemini-2.5-flash",` +
          `"finish_reason":"${finishReason}","attempts":1,"request_id":"req-1"}\n\n`,
      )
    }
  })

  it('a safety stop after text and a blocked prompt end with an error event', () => {
    const stopped = seed()
    stopped.renderer.text('No')
    stopped.renderer.done(result({ finish: 'content-filter', rawFinish: 'SAFETY' }), 1)
    expect(stopped.wire()).toBe(
      'data: {"chunk":"No","done":false}\n\n' +
        `data: {"error":"gemini: the answer was stopped by Gemini's safety filters (finish reason SAFETY). The answer is incomplete; rephrase the question.","done":true,"request_id":"req-1"}\n\n`,
    )
    expect(stopped.logLine()).toMatchObject({ outcome: 'blocked', error: { kind: 'blocked' } })
    const blocked = seed()
    blocked.renderer.done(result({ finish: 'content-filter', rawFinish: 'SAFETY', promptBlocked: true }), 1)
    expect(blocked.wire()).toBe(
      `data: {"error":"gemini: the prompt was blocked by Gemini's safety filters (block reason SAFETY). Rephrase the question.","done":true,"request_id":"req-1"}\n\n`,
    )
    expect(blocked.renderer.written).toBe(1)
    const filtered = seed()
    filtered.renderer.done(result({ provider: 'openai', finish: 'content-filter', rawFinish: 'content_filter' }), 1)
    expect(filtered.wire()).toBe(
      `data: {"error":"openai: the answer was stopped by OpenAI's content filter (finish reason content_filter). Rephrase the question.","done":true,"request_id":"req-1"}\n\n`,
    )
  })

  it('a provider failure: its safe message to the client, the provider’s words (account details) to the log', () => {
    const { renderer, wire, logLine } = seed()
    renderer.text('Hi')
    const upstream = `Rate limit reached in organization org-2UNBOwAjq6LkaA8Fl347aXVc for key ${TEST_SECRET}.`
    renderer.fail(upstreamStatusError('openai', 429, upstream, { cause: 'HTTP 429' }))
    expect(wire()).toBe(
      'data: {"chunk":"Hi","done":false}\n\n' +
        'data: {"error":"openai: rate limit or quota exceeded (HTTP 429). Wait a little and retry, or check the plan and billing of the account.","done":true,"request_id":"req-1"}\n\n',
    )
    const line = logLine()
    expect(line).toMatchObject({
      outcome: 'upstream_status',
      error: {
        kind: 'upstream_status',
        status: 429,
        cause: 'HTTP 429: Rate limit reached in organization org-2UNBOwAjq6LkaA8Fl347aXVc for key sk-tes…',
      },
    })
    expect(JSON.stringify(line)).not.toContain(TEST_SECRET.slice(0, 14))
  })

  it('an unexpected error gets a generic message; a secret in a message is masked', () => {
    const internal = seed()
    internal.renderer.fail(new TypeError('boom at /home/dev/gateway/src/x.ts:1'))
    expect(internal.wire()).toBe(
      'data: {"error":"gateway: internal error while streaming the answer. Retry; if it persists, check the gateway logs.","done":true,"request_id":"req-1"}\n\n',
    )
    expect(internal.logLine()).toMatchObject({
      outcome: 'internal',
      error: { kind: 'internal', message: 'TypeError: boom at <path>:1' },
    })
    const leaky = seed()
    leaky.renderer.fail(new ProviderError('openai', 'network', `openai: failed with ${TEST_SECRET}`))
    expect(leaky.wire()).toBe('data: {"error":"openai: failed with [redacted]","done":true,"request_id":"req-1"}\n\n')
  })

  it('the closing event carries timing, the log line’s gw_ms and upstream_ms, once the upstream answered', () => {
    const { renderer, wire, logLine } = timedSeed(true)
    renderer.text('Hi')
    renderer.done(result(), 1, { budget: { reserved: 40, spent: 12 } })
    expect(wire()).toBe(
      'data: {"chunk":"Hi","done":false}\n\n' +
        'data: {"chunk":"","done":true,"provider":"gemini","model":"gemini-2.5-flash-001","finish_reason":"stop","attempts":1,' +
        '"budget":{"reserved":40,"spent":12},"timing":{"gw_ms":2,"upstream_ms":180},"request_id":"req-1"}\n\n',
    )
    expect(logLine()).toMatchObject({ outcome: 'done', gw_ms: 2, upstream_ms: 180, duration_ms: 500 })
    const cancelled = timedSeed(true)
    cancelled.renderer.cancelled({ provider: 'gemini', model: 'gemini-2.5-flash', attempts: 1 })
    expect(cancelled.wire()).toBe(
      'data: {"chunk":"","done":true,"provider":"gemini","model":"gemini-2.5-flash","finish_reason":"cancelled","attempts":1,' +
        '"timing":{"gw_ms":2,"upstream_ms":180},"request_id":"req-1"}\n\n',
    )
  })

  it('an error event carries timing only when the upstream had answered; the log line has gw_ms either way', () => {
    const midAnswer = timedSeed(true)
    midAnswer.renderer.text('Hi')
    midAnswer.renderer.fail(new ProviderError('gemini', 'truncated', 'gemini: the connection closed early.'))
    expect(midAnswer.wire()).toBe(
      'data: {"chunk":"Hi","done":false}\n\n' +
        'data: {"error":"gemini: the connection closed early.","done":true,"timing":{"gw_ms":2,"upstream_ms":180},"request_id":"req-1"}\n\n',
    )
    expect(midAnswer.logLine()).toMatchObject({ outcome: 'truncated', gw_ms: 2, upstream_ms: 180 })
    const refused = timedSeed(false)
    refused.renderer.fail(upstreamStatusError('gemini', 503, 'overloaded'))
    expect(refused.wire()).toBe(
      'data: {"error":"gemini: service unavailable or overloaded (HTTP 503). Retry in a few seconds.","done":true,"request_id":"req-1"}\n\n',
    )
    const line = refused.logLine()
    expect(line).toMatchObject({ outcome: 'upstream_status', gw_ms: 2 })
    expect(line).not.toHaveProperty('upstream_ms')
    const stopped = timedSeed(false)
    stopped.renderer.cancelled({ provider: 'gemini', model: 'gemini-2.5-flash', attempts: 1 })
    expect(stopped.wire()).toBe(
      'data: {"chunk":"","done":true,"provider":"gemini","model":"gemini-2.5-flash","finish_reason":"cancelled","attempts":1,"request_id":"req-1"}\n\n',
    )
  })

  it('cancelled (DELETE): the closing event with finish_reason cancelled', () => {
    const { renderer, wire } = seed()
    renderer.text('Hi')
    renderer.cancelled({ provider: 'openai', model: 'gpt-4.1-mini', attempts: 2 })
    expect(wire()).toBe(
      'data: {"chunk":"Hi","done":false}\n\n' +
        'data: {"chunk":"","done":true,"provider":"openai","model":"gpt-4.1-mini","finish_reason":"cancelled","attempts":2,"request_id":"req-1"}\n\n',
    )
  })
})
