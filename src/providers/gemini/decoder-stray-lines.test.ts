import { describe, expect, it } from 'vitest'
import { decodeInReadsYielding, utf8 } from '../../../test/worker/record-parts'
import { geminiDecoder } from './decoder'

/**
 * Lines outside any event (Gemini's bare error objects) cost linear time, whatever an upstream sends.
 * Reading the whole buffered text again on every `}` line (as the gateway once did) took minutes for
 * these bodies; read once, each takes about a second here, most of it the turns of the event loop
 * between reads. The test timeout is the bound: generous, but it fails the quadratic reading.
 */
const LINEAR_BOUND_MS = 15_000
/** Small reads, with a turn of the event loop between them, so the timeout fires while a slow decoder works. */
const READ = 4096

const text = (value: string) =>
  `data: ${JSON.stringify({ candidates: [{ content: { parts: [{ text: value }] } }] })}\r\n\r\n`
const stop = `data: ${JSON.stringify({ candidates: [{ content: { parts: [{ text: '.' }] }, finishReason: 'STOP' }] })}\r\n\r\n`
const bareError =
  '{\n  "error": {\n    "code": 503,\n    "message": "Overloaded",\n    "status": "UNAVAILABLE"\n  }\n}\n'

describe('geminiDecoder reads each stray line once', () => {
  it('600 KB of "}" lines between two events: the answer ends well', { timeout: LINEAR_BOUND_MS }, async ({
    signal,
  }) => {
    const body = utf8(text('Hi') + '}\n'.repeat(300_000) + stop)
    expect(body.length).toBeGreaterThan(600_000)
    const { parts, result, error } = await decodeInReadsYielding(
      (sink) => geminiDecoder('m', sink, 1 << 20),
      body,
      READ,
      signal,
    )
    expect(error).toBeUndefined()
    expect(parts).toEqual([
      ['text', 'Hi'],
      ['text', '.'],
    ])
    expect(result).toMatchObject({ finish: 'stop', rawFinish: 'STOP' })
  })

  it('60,000 {"error":1 / } line pairs, then a real error object: the 503', { timeout: LINEAR_BOUND_MS }, async ({
    signal,
  }) => {
    const body = utf8(text('Hi') + '{"error":1\n}\n'.repeat(60_000) + bareError + stop)
    const { parts, result, error } = await decodeInReadsYielding(
      (sink) => geminiDecoder('m', sink, 1 << 20),
      body,
      READ,
      signal,
    )
    expect(parts).toEqual([['text', 'Hi']])
    expect(result).toBeUndefined()
    expect(error).toMatchObject({ kind: 'upstream_stream_error', status: 503, cause: 'Overloaded' })
  })
})
