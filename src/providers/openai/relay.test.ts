import { describe, expect, it } from 'vitest'
import type { AnswerResult } from '../../canonical/parts'
import { fixtureBytes } from '../../../test/worker/helpers'
import { decodeInReads, type RecordedPart, utf8 } from '../../../test/worker/record-parts'
import { relayDecoder, wholeBodyDecoder } from './relay'
import { boundaryEnd } from './relay-frames'

const relay = (body: Uint8Array, readSize: number, api: 'chat' | 'responses' = 'chat', max = 1 << 20) =>
  decodeInReads((sink) => relayDecoder(api, 'gpt-asked', sink, max), body, readSize)
const raw = (text: string): RecordedPart => ['raw', text]
/** A body's events, each with its blank line (the fixtures are LF framed). */
const events = (text: string) => text.split(/(?<=\n\n)/)

describe('boundaryEnd', () => {
  it('finds the end of the last complete event (LF, CRLF or CR framing)', () => {
    expect(boundaryEnd(utf8('data: a\n\n'))).toBe(9)
    expect(boundaryEnd(utf8('data: a\n\ndata: b'))).toBe(9)
    expect(boundaryEnd(utf8('data: a\r\n\r\ndata: b'))).toBe(11)
    expect(boundaryEnd(utf8('data: a\r\rdata'))).toBe(9)
    expect(boundaryEnd(utf8('data: {"a":"b'))).toBe(0)
    expect(boundaryEnd(utf8('\n'))).toBe(0)
  })
})

describe('relayDecoder: OpenAI frames passed through byte for byte', () => {
  const answers: [string, Omit<AnswerResult, 'provider'>][] = [
    ['openai-chat-basic.sse', { model: 'gpt-5-nano-2025-08-07', finish: 'stop', rawFinish: 'stop' }],
    [
      'openai-chat-usage.sse',
      {
        model: 'gpt-5-nano-2025-08-07',
        finish: 'length',
        rawFinish: 'length',
        usage: { inputTokens: 12, outputTokens: 100, reasoningTokens: 100, cachedInputTokens: 0, totalTokens: 112 },
      },
    ],
    [
      'openai-chat-tool-call.sse',
      {
        model: 'gpt-4o-2024-08-06',
        finish: 'tool-calls',
        rawFinish: 'tool_calls',
        usage: { inputTokens: 48, outputTokens: 19, reasoningTokens: 0, cachedInputTokens: 0, totalTokens: 67 },
      },
    ],
    [
      'openai-chat-multibyte.sse',
      {
        model: 'gpt-4o-2024-08-06',
        finish: 'stop',
        rawFinish: 'stop',
        usage: { inputTokens: 19, outputTokens: 177, reasoningTokens: 0, cachedInputTokens: 0, totalTokens: 196 },
      },
    ],
  ]
  for (const [fixture, result] of answers) {
    it(`${fixture}: in 5- and 7-byte reads, whole events only, complete at [DONE]`, async () => {
      const body = await fixtureBytes(fixture)
      const text = new TextDecoder().decode(body)
      // Reads of 5 bytes complete at most one event each: one frame per event.
      expect(relay(body, 5)).toEqual({
        parts: events(text).map(raw),
        result: { provider: 'openai', ...result },
        bytesRead: body.length,
      })
      const sevens = relay(body, 7)
      expect(sevens.result).toEqual({ provider: 'openai', ...result })
      expect(sevens.parts.map(([, frame]) => frame).join('')).toBe(text)
      expect(sevens.parts.every(([kind, frame]) => kind === 'raw' && (frame as string).endsWith('\n\n'))).toBe(true)
      expect(relay(body, 0).parts).toEqual([raw(text)])
    })
  }

  it('is complete at [DONE]: the engine reads no further, even if the upstream does not close', () => {
    const done = 'data: {"choices":[]}\n\ndata: [DONE]\n\n'
    const decoded = relay(utf8(`${done}data: {"late":1}\n\n`), done.length)
    expect(decoded).toEqual({
      parts: [raw(done)],
      result: { provider: 'openai', model: 'gpt-asked', finish: 'stop', rawFinish: '' },
      bytesRead: done.length,
    })
  })

  it('a stream cut before [DONE], or inside an event, is truncated; the whole events before it went out', () => {
    const cut = relay(utf8('data: {"a":1}\n\ndata: {"b"'), 5)
    expect(cut).toMatchObject({ parts: [raw('data: {"a":1}\n\n')], error: { kind: 'truncated' } })
    expect(relay(utf8('data: {"a":1}\n\ndata: [DONE]'), 7).error).toMatchObject({ kind: 'truncated' })
  })

  it('an event held past MAX_UPSTREAM_EVENT_BYTES ends the answer; it never goes out', () => {
    const body = utf8(`data: {"a":1}\n\ndata: ${'x'.repeat(300)}`)
    expect(relay(body, 7, 'chat', 200)).toMatchObject({
      parts: [raw('data: {"a":1}\n\n')],
      error: { kind: 'oversize' },
    })
  })

  it('a Responses stream is complete at response.completed, with its usage', () => {
    const text =
      'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"Hi"}\n\n' +
      'event: response.completed\ndata: {"type":"response.completed","response":{"model":"gpt-r","status":"completed",' +
      '"usage":{"input_tokens":3,"output_tokens":2,"total_tokens":5}}}\n\n'
    expect(relay(utf8(text), 5, 'responses')).toEqual({
      parts: events(text).map(raw),
      result: {
        provider: 'openai',
        model: 'gpt-r',
        finish: 'stop',
        rawFinish: 'completed',
        usage: { inputTokens: 3, outputTokens: 2, reasoningTokens: 0, cachedInputTokens: 0, totalTokens: 5 },
      },
      bytesRead: text.length,
    })
  })
})

describe('wholeBodyDecoder: a whole OpenAI body, bounded', () => {
  const completion = JSON.stringify({
    model: 'gpt-w',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hé' }, finish_reason: 'length' }],
    usage: { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5 },
  })

  it('passes the body on as one raw frame once it ended, however it was read', () => {
    for (const readSize of [0, 5, 7]) {
      const decoded = decodeInReads(
        (sink) => wholeBodyDecoder('chat', 'gpt-asked', sink, 1 << 20),
        utf8(completion),
        readSize,
      )
      expect(decoded).toEqual({
        parts: [raw(completion)],
        result: {
          provider: 'openai',
          model: 'gpt-w',
          finish: 'length',
          rawFinish: 'length',
          usage: { inputTokens: 4, outputTokens: 1, reasoningTokens: 0, cachedInputTokens: 0, totalTokens: 5 },
        },
        bytesRead: utf8(completion).length,
      })
    }
  })

  it('a body over the bound ends the answer without passing anything on', () => {
    const decoded = decodeInReads((sink) => wholeBodyDecoder('chat', 'm', sink, 100), utf8(completion), 7)
    expect(decoded).toMatchObject({ parts: [], error: { kind: 'oversize' } })
    expect(decoded.bytesRead).toBeLessThanOrEqual(100)
  })
})

describe('relayDecoder: what it never passes on, and what it never costs', () => {
  it("an error event mid-stream: the events before it pass, then the gateway's error (OpenAI's text as the cause)", () => {
    const before = 'data: {"id":"c","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\n'
    const error = 'data: {"error":{"message":"Rate limit reached in organization org-abc123","code":null}}\n\n'
    for (const readSize of [0, 5, 7]) {
      const { parts, error: failure } = relay(utf8(before + error), readSize)
      expect(parts.map((part) => part[1]).join('')).toBe(before)
      expect(failure).toMatchObject({
        kind: 'upstream_stream_error',
        message:
          'openai: the provider reported an error during the answer (no status). The answer is incomplete. Retry later.',
        cause: 'Rate limit reached in organization org-abc123',
      })
    }
  })

  it('one event held over thousands of small reads is read in linear time (the old copy per read took minutes)', () => {
    const content = 'x'.repeat(512 * 1024)
    const event = utf8(
      `data: {"id":"c","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n`,
    )
    const { parts, result } = relay(event, 16)
    expect(parts.map((part) => part[1]).join('').length).toBe(event.length)
    expect(result).toMatchObject({ finish: 'stop', rawFinish: 'stop' })
  })
})
