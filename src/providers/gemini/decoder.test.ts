import { describe, expect, it } from 'vitest'
import type { AnswerResult, Usage } from '../../canonical/parts'
import { fixtureBytes, fixturePayloads } from '../../../test/worker/helpers'
import { decodeInReads, type RecordedPart, utf8 } from '../../../test/worker/record-parts'
import { ProviderError } from '../errors'
import { geminiDecoder } from './decoder'

const ASKED = 'gemini-asked'
/** One read for the whole body, then reads of 5 and 7 bytes (they split CRLFs and multi-byte characters). */
const READ_SIZES = [0, 5, 7]
const decode = (body: Uint8Array, readSize: number, maxEventSize = 1 << 20) =>
  decodeInReads((sink) => geminiDecoder(ASKED, sink, maxEventSize), body, readSize)

const usage = (input: number, output: number, reasoning: number, total: number): Usage => ({
  inputTokens: input,
  outputTokens: output,
  reasoningTokens: reasoning,
  cachedInputTokens: 0,
  totalTokens: total,
})
const answer = (model: string, finish: AnswerResult['finish'], rawFinish: string, used?: Usage): AnswerResult => ({
  provider: 'gemini',
  model,
  finish,
  rawFinish,
  ...(used ? { usage: used } : {}),
})

interface GeminiPart {
  text?: string
  thought?: boolean
  functionCall?: { name: string; args?: unknown }
  thoughtSignature?: string
}
interface GeminiChunk {
  modelVersion?: string
  candidates?: { content?: { parts?: GeminiPart[] } }[]
}

/**
 * The parts a recorded stream holds, read from its `data:` payloads (split on blank lines, not with the
 * decoder's parser): the model named once, thoughts as reasoning, non-empty text as text, a function
 * call as start, its whole arguments, end. Other parts (code execution, inline data) are no parts.
 */
async function partsOf(fixture: string): Promise<RecordedPart[]> {
  const parts: RecordedPart[] = []
  let calls = 0
  for (const chunk of (await fixturePayloads(fixture)) as GeminiChunk[]) {
    if (chunk.modelVersion && !parts.some(([kind]) => kind === 'modelName'))
      parts.push(['modelName', chunk.modelVersion.replace(/^models\//, '')])
    for (const part of chunk.candidates?.[0]?.content?.parts ?? []) {
      if (part.thought) parts.push(['reasoning', part.text!])
      else if (part.text) parts.push(['text', part.text])
      else if (part.functionCall) {
        const index = calls++
        const signature = part.thoughtSignature ? { signature: part.thoughtSignature } : {}
        parts.push([
          'toolCallStart',
          { index, id: expect.stringMatching(/^call_[A-Za-z0-9]{24}$/), name: part.functionCall.name, ...signature },
        ])
        parts.push(['toolCallDelta', index, JSON.stringify(part.functionCall.args ?? {})])
        parts.push(['toolCallEnd', index])
      }
    }
  }
  return parts
}

describe('geminiDecoder: every recorded stream, whole and in 5- and 7-byte reads', () => {
  const answers: [string, AnswerResult][] = [
    ['gemini-basic.sse', answer('gemini-2.0-flash', 'stop', 'STOP', usage(7, 10, 0, 17))],
    ['gemini-basic-long-2024.sse', answer(ASKED, 'stop', 'STOP')],
    ['gemini-multibyte.sse', answer(ASKED, 'stop', 'STOP')],
    ['gemini-2.5-flash.sse', answer('gemini-2.5-flash-preview-05-20', 'stop', 'STOP', usage(5, 44 + 186, 186, 235))],
    [
      'gemini-3-empty-text-signature.reframed.sse',
      answer('gemini-3-pro-preview', 'stop', 'STOP', usage(9, 23 + 185, 185, 217)),
    ],
    // Tool-use prompt tokens count as input.
    ['gemini-code-execution.sse', answer('gemini-2.5-flash', 'stop', 'STOP', usage(21 + 243, 126 + 95, 95, 485))],
    ['gemini-no-parts-chunk.sse', answer('gemini-2.5-flash-image-preview', 'stop', 'STOP', usage(16, 1307, 0, 1323))],
    ['gemini-thinking.sse', answer('gemini-2.5-flash', 'stop', 'STOP', usage(10, 48 + 540, 540, 598))],
    [
      'gemini-thinking-function-call.sse',
      answer('gemini-2.5-flash', 'tool-calls', 'STOP', usage(38, 6 + 168, 168, 212)),
    ],
    ['gemini-safety-finish.sse', answer(ASKED, 'content-filter', 'SAFETY')],
    ['gemini-recitation.sse', answer('gemini-2.0-flash', 'content-filter', 'RECITATION', usage(9, 261, 0, 270))],
    ['gemini-prompt-blocked.sse', { ...answer(ASKED, 'content-filter', 'SAFETY'), promptBlocked: true }],
  ]
  for (const [fixture, result] of answers) {
    it(fixture, async () => {
      const body = await fixtureBytes(fixture)
      const parts = await partsOf(fixture)
      for (const readSize of READ_SIZES) {
        expect(decode(body, readSize), `reads of ${readSize || 'all'} bytes`).toEqual({
          parts,
          result,
          bytesRead: body.length,
        })
      }
    })
  }

  it('the exact parts of a short answer, of a thinking tool call and of code execution', async () => {
    expect(decode(await fixtureBytes('gemini-basic.sse'), 5).parts).toEqual([
      ['modelName', 'gemini-2.0-flash'],
      ['text', 'The'],
      ['text', ' capital of Wyoming'],
      ['text', ' is **Cheyenne**.\n'],
    ])
    const call = decode(await fixtureBytes('gemini-thinking-function-call.sse'), 7).parts
    expect(call.map(([kind]) => kind)).toEqual([
      'modelName',
      'reasoning',
      'reasoning',
      'toolCallStart',
      'toolCallDelta',
      'toolCallEnd',
    ])
    expect(call.slice(3)).toEqual([
      [
        'toolCallStart',
        {
          index: 0,
          id: expect.stringMatching(/^call_\w{24}$/),
          name: 'now',
          signature: expect.stringMatching(/^CiIBVKhc7vB\+/),
        },
      ],
      ['toolCallDelta', 0, '{}'],
      ['toolCallEnd', 0],
    ])
    const code = decode(await fixtureBytes('gemini-code-execution.sse'), 5).parts
    expect(code.filter(([kind]) => kind !== 'text')).toEqual([['modelName', 'gemini-2.5-flash']])
    expect(code).toHaveLength(5)
  })

  it('a bare error object after thoughts: the parts before it, then the 503 (its text in the cause only)', async () => {
    const body = await fixtureBytes('gemini-midstream-error-503.constructed.sse')
    for (const readSize of READ_SIZES) {
      const { parts, error, result } = decode(body, readSize)
      expect(parts).toEqual((await partsOf('gemini-midstream-error-503.constructed.sse')).slice(0, 3))
      expect(result).toBeUndefined()
      expect(error).toBeInstanceOf(ProviderError)
      expect(error).toMatchObject({
        kind: 'upstream_stream_error',
        status: 503,
        message:
          'gemini: the provider reported an error during the answer (503, service unavailable or overloaded). The answer is incomplete. Retry in a few seconds.',
        cause:
          'This model is currently experiencing high demand. Spikes in demand are usually temporary. Please try again later',
      })
    }
  })
})

const chunk = (body: object) => `data: ${JSON.stringify(body)}\r\n\r\n`
const finishing = (reason: string, text = 'Hi') =>
  chunk({ candidates: [{ content: { parts: [{ text }], role: 'model' }, finishReason: reason }] })

describe('geminiDecoder: how an answer ends', () => {
  it('MAX_TOKENS is length; OTHER and MALFORMED_FUNCTION_CALL are errors to retry, after their parts', () => {
    expect(decode(utf8(finishing('MAX_TOKENS')), 0)).toEqual({
      parts: [['text', 'Hi']],
      result: answer(ASKED, 'length', 'MAX_TOKENS'),
      bytesRead: finishing('MAX_TOKENS').length,
    })
    for (const reason of ['OTHER', 'MALFORMED_FUNCTION_CALL', 'LANGUAGE']) {
      const { parts, error } = decode(utf8(finishing(reason)), 5)
      expect(parts).toEqual([['text', 'Hi']])
      expect(error).toMatchObject({
        kind: 'upstream_stream_error',
        status: undefined,
        message: `gemini: the answer was stopped by the model (finish reason ${reason}). The answer is incomplete; retry or rephrase the request.`,
      })
    }
  })

  it('an {"error": …} event, a cut stream, malformed data and an event over the bound', () => {
    const said = chunk({ candidates: [{ content: { parts: [{ text: 'Hi' }] } }] })
    const failed = decode(
      utf8(said + chunk({ error: { code: 500, message: 'Internal org 12345', status: 'INTERNAL' } })),
      7,
    )
    expect(failed.parts).toEqual([['text', 'Hi']])
    expect(failed.error).toMatchObject({
      kind: 'upstream_stream_error',
      status: 500,
      message:
        'gemini: the provider reported an error during the answer (500, server error). The answer is incomplete. Retry later.',
      cause: 'Internal org 12345',
    })
    expect(decode(utf8(said), 5).error).toMatchObject({ kind: 'truncated' })
    expect(decode(utf8(`${said}data: {"candidates": [oops\r\n\r\n`), 5).error).toMatchObject({ kind: 'malformed' })
    const big = decode(utf8(said + finishing('STOP', 'x'.repeat(300))), 7, 200)
    expect(big.parts).toEqual([['text', 'Hi']])
    expect(big.error).toMatchObject({ kind: 'oversize' })
  })

  it('only an unindented } closes a bare error object, and junk lines around it are ignored', () => {
    const body =
      chunk({ candidates: [{ content: { parts: [{ text: 'Hi' }] } }] }) +
      'junk line\n  }\n}\n' +
      '{\n  "error": {\n    "code": 429,\n    "details": {\n      "x": 1\n    },\n    "message": "Quota of project 123456789012",\n    "status": "RESOURCE_EXHAUSTED"\n  }\n}\n' +
      finishing('STOP', 'never')
    for (const readSize of READ_SIZES) {
      const { parts, error } = decode(utf8(body), readSize)
      expect(parts).toEqual([['text', 'Hi']])
      expect(error).toMatchObject({
        kind: 'upstream_stream_error',
        status: 429,
        cause: 'Quota of project 123456789012',
      })
      expect((error as Error).message).not.toContain('123456789012')
    }
  })
})
