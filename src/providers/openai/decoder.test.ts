import { describe, expect, it } from 'vitest'
import type { AnswerResult, PartSink, Usage } from '../../canonical/parts'
import { fixtureBytes, fixturePayloads } from '../../../test/worker/helpers'
import { decodeInReads, type RecordedPart, utf8 } from '../../../test/worker/record-parts'
import { ProviderError } from '../errors'
import { openaiDecoder } from './decoder'

const ASKED = 'gpt-asked'
/** One read for the whole body, then reads of 5 and 7 bytes (they split multi-byte characters). */
const READ_SIZES = [0, 5, 7]
const decode = (body: Uint8Array, readSize: number, maxEventSize = 1 << 20) =>
  decodeInReads((sink) => openaiDecoder(ASKED, sink, maxEventSize), body, readSize)

const usage = (input: number, output: number, reasoning: number, total: number): Usage => ({
  inputTokens: input,
  outputTokens: output,
  reasoningTokens: reasoning,
  cachedInputTokens: 0,
  totalTokens: total,
})
const answer = (model: string, finish: AnswerResult['finish'], rawFinish: string, used?: Usage): AnswerResult => ({
  provider: 'openai',
  model,
  finish,
  rawFinish,
  ...(used ? { usage: used } : {}),
})

interface Chunk {
  choices?: {
    index?: number
    finish_reason?: string | null
    delta?: {
      content?: string | null
      refusal?: string | null
      tool_calls?: { index: number; id?: string; function?: { name?: string; arguments?: string } }[]
    }
  }[]
}

/**
 * The parts a recorded stream holds, read from its `data:` payloads (split on blank lines, not with the
 * decoder's parser): choice 0's content or refusal as text; a tool call's start (its first delta, with
 * the id), each non-empty arguments piece, and its end at the finish reason.
 */
async function partsOf(fixture: string): Promise<RecordedPart[]> {
  const parts: RecordedPart[] = []
  const open: number[] = []
  for (const chunk of (await fixturePayloads(fixture)) as Chunk[]) {
    const choice = chunk.choices?.[0]
    if (!choice || (choice.index ?? 0) !== 0) continue
    const text = choice.delta?.content || choice.delta?.refusal
    if (text) parts.push(['text', text])
    for (const call of choice.delta?.tool_calls ?? []) {
      if (call.id) {
        open.push(call.index)
        parts.push(['toolCallStart', { index: call.index, id: call.id, name: call.function?.name ?? '' }])
      }
      if (call.function?.arguments) parts.push(['toolCallDelta', call.index, call.function.arguments])
    }
    if (choice.finish_reason) for (const index of open.splice(0)) parts.push(['toolCallEnd', index])
  }
  return parts
}

describe('openaiDecoder: every recorded stream, whole and in 5- and 7-byte reads', () => {
  const answers: [string, AnswerResult][] = [
    ['openai-chat-basic.sse', answer('gpt-5-nano-2025-08-07', 'stop', 'stop')],
    ['openai-chat-basic-2024.sse', answer('gpt-4o-2024-08-06', 'stop', 'stop', usage(14, 30, 0, 44))],
    ['openai-chat-length.sse', answer('gpt-4o-2024-08-06', 'length', 'length', usage(79, 1, 0, 80))],
    ['openai-chat-multibyte.sse', answer('gpt-4o-2024-08-06', 'stop', 'stop', usage(19, 177, 0, 196))],
    // Three choices, one per chunk: the answer is choice 0.
    ['openai-chat-n3-multichoice.sse', answer('gpt-4o-2024-08-06', 'stop', 'stop', usage(79, 42, 0, 121))],
    ['openai-chat-refusal.sse', answer('gpt-4o-2024-08-06', 'refusal', 'stop', usage(79, 11, 0, 90))],
    ['openai-chat-tool-call.sse', answer('gpt-4o-2024-08-06', 'tool-calls', 'tool_calls', usage(48, 19, 0, 67))],
    ['openai-chat-usage.sse', answer('gpt-5-nano-2025-08-07', 'length', 'length', usage(12, 100, 100, 112))],
    ['openai-chat-usage-long.reframed.sse', answer('gpt-4.1-nano-2025-04-14', 'stop', 'stop', usage(16, 300, 0, 316))],
  ]
  for (const [fixture, result] of answers) {
    it(fixture, async () => {
      const body = await fixtureBytes(fixture)
      const parts = await partsOf(fixture)
      // A reasoning model that spent all its tokens thinking (openai-chat-usage.sse) said nothing.
      expect(parts.length > 0).toBe(fixture !== 'openai-chat-usage.sse')
      for (const readSize of READ_SIZES) {
        expect(decode(body, readSize), `reads of ${readSize || 'all'} bytes`).toEqual({
          parts,
          result,
          bytesRead: body.length,
        })
      }
    })
  }

  it('the exact parts of a tool call and of a one-token answer', async () => {
    expect(decode(await fixtureBytes('openai-chat-tool-call.sse'), 7).parts).toEqual([
      ['toolCallStart', { index: 0, id: 'call_CTf1nWJLqSeRgDqaCG27xZ74', name: 'get_weather' }],
      ...['{"', 'city', '":"', 'San', ' Francisco', '","', 'state', '":"', 'CA', '"}'].map(
        (piece): RecordedPart => ['toolCallDelta', 0, piece],
      ),
      ['toolCallEnd', 0],
    ])
    expect(decode(await fixtureBytes('openai-chat-length.sse'), 5).parts).toEqual([['text', '{"']])
  })

  it('an error event mid-answer: the text before it, then the error (its text in the cause only)', async () => {
    const body = await fixtureBytes('openai-chat-midstream-error.constructed.sse')
    for (const readSize of READ_SIZES) {
      const { parts, error, result } = decode(body, readSize)
      expect(parts).toEqual([
        ['text', 'Hi'],
        ['text', ' there'],
      ])
      expect(result).toBeUndefined()
      expect(error).toBeInstanceOf(ProviderError)
      expect(error).toMatchObject({
        kind: 'upstream_stream_error',
        status: undefined,
        message:
          'openai: the provider reported an error during the answer (no status). The answer is incomplete. Retry later.',
        cause: expect.stringMatching(
          /^The server had an error processing your request\..*fb94b183e8b7bc5aca22fa62981cc107/,
        ),
      })
      expect((error as Error).message).not.toContain('fb94b183')
    }
  })
})

describe('openaiDecoder: how an answer ends', () => {
  const said = 'data: {"model":"m","choices":[{"index":0,"delta":{"content":"Ok"},"finish_reason":null}]}\n\n'

  it('a cut stream, malformed data and an event over the bound', () => {
    expect(decode(utf8(said), 5)).toMatchObject({ parts: [['text', 'Ok']], error: { kind: 'truncated' } })
    expect(decode(utf8(`${said}data: {"choices": [oops\n\n`), 5)).toMatchObject({
      parts: [['text', 'Ok']],
      error: { kind: 'malformed' },
    })
    const big = `data: {"choices":[{"index":0,"delta":{"content":"${'x'.repeat(300)}"}}]}\n\n`
    expect(decode(utf8(said + big), 7, 200)).toMatchObject({ parts: [['text', 'Ok']], error: { kind: 'oversize' } })
  })

  it('reasoning deltas are reasoning, a content filter stop is content-filter', () => {
    const body =
      'data: {"choices":[{"index":0,"delta":{"reasoning_content":"Think"}}]}\n\n' +
      said +
      'data: {"choices":[{"index":0,"delta":{},"finish_reason":"content_filter"}]}\n\ndata: [DONE]\n\n'
    expect(decode(utf8(body), 5)).toEqual({
      parts: [
        ['reasoning', 'Think'],
        ['text', 'Ok'],
      ],
      result: answer('m', 'content-filter', 'content_filter'),
      bytesRead: body.length,
    })
  })
})

describe('the OpenAI decoder, what it generated', () => {
  const ignore: PartSink = {
    text() {},
    reasoning() {},
    toolCallStart() {},
    toolCallDelta() {},
    toolCallEnd() {},
    raw() {},
  }
  const event = (delta: Record<string, unknown>) =>
    `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`

  it('bounds what showed: text, refusal, reasoning, tool names and arguments, 3 per UTF-16 unit', () => {
    const decoder = openaiDecoder('gpt-4.1-mini', ignore, 1 << 20)
    const wire = [
      event({ role: 'assistant', content: '' }),
      event({ reasoning_content: 'Think' }),
      event({ content: 'Xin chào' }),
      event({
        tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }],
      }),
      event({ tool_calls: [{ index: 0, function: { arguments: '{"city":"Huế"}' } }] }),
    ].join('')
    decoder.push(new TextEncoder().encode(wire))
    // A stream cut here (no usage yet): the bound is all a settlement has to go on.
    const shown = 'Think'.length + 'Xin chào'.length + 'get_weather'.length + '{"city":"Huế"}'.length
    expect(decoder.generatedBound()).toBe(3 * shown)
    expect(decoder.usage()).toBeUndefined()
  })
})
