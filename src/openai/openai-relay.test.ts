import { describe, expect, it } from 'vitest'
import { ProviderError } from '../providers/errors'
import { boundaryEnd, createRelaySource, summarize } from './openai-relay'

const bytes = (text: string) => new TextEncoder().encode(text)
const text = (frames: Uint8Array[]) => frames.map((frame) => new TextDecoder().decode(frame))

describe('boundaryEnd', () => {
  it('finds the end of the last complete event (LF, CRLF or CR framing)', () => {
    expect(boundaryEnd(bytes('data: a\n\n'))).toBe(9)
    expect(boundaryEnd(bytes('data: a\n\ndata: b'))).toBe(9)
    expect(boundaryEnd(bytes('data: a\r\n\r\ndata: b'))).toBe(11)
    expect(boundaryEnd(bytes('data: a\r\rdata'))).toBe(9)
    expect(boundaryEnd(bytes('data: {"a":"b'))).toBe(0)
    expect(boundaryEnd(bytes('\n'))).toBe(0)
  })
})

describe('createRelaySource', () => {
  it('passes whole events on, holds a partial one until it completes, and says when [DONE] went out', () => {
    const source = createRelaySource(1 << 20)
    const frames: Uint8Array[] = []
    const emit = (frame: Uint8Array) => frames.push(frame)
    expect(source.push(bytes('data: {"a":1}\n\ndata: {"b"'), emit)).toBe(false)
    expect(source.push(bytes(':2}\n'), emit)).toBe(false)
    expect(source.push(bytes('\ndata: [DO'), emit)).toBe(false)
    expect(source.push(bytes('NE]\n\n'), emit)).toBe(true)
    expect(text(frames)).toEqual(['data: {"a":1}\n\n', 'data: {"b":2}\n\n', 'data: [DONE]\n\n'])
    expect(() => source.end(emit)).not.toThrow()
  })

  it('a stream that ends without [DONE], or inside an event, was cut', () => {
    for (const reads of [['data: {"a":1}\n\n'], ['data: {"a":1}\n\ndata: [DONE]']]) {
      const source = createRelaySource(1 << 20)
      for (const read of reads) source.push(bytes(read), () => {})
      expect(() => source.end(() => {})).toThrow(ProviderError)
    }
  })

  it('summarizes the usage frame, the finish reason and the model from the last three writes', () => {
    const source = createRelaySource(1 << 20)
    source.push(
      bytes('data: {"model":"gpt-x","choices":[{"index":0,"delta":{},"finish_reason":"length"}],"usage":null}\n\n'),
      () => {},
    )
    source.push(
      bytes(
        'data: {"model":"gpt-x","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}\n\n',
      ),
      () => {},
    )
    source.push(bytes('data: [DONE]\n\n'), () => {})
    expect(source.summary()).toEqual({
      model: 'gpt-x',
      finish_reason: 'length',
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    })
    expect(
      summarize('data: {"choices":[{"delta":{"content":"data: {"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'),
    ).toEqual({ finish_reason: 'stop' })
  })
})
