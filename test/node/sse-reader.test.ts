/** The strict gateway-SSE reader used by the e2e suite must reject every framing mistake. */
import { describe, expect, it } from 'vitest'
import { parseGatewayStream } from '../support/sse.ts'

describe('parseGatewayStream', () => {
  it('accepts chunks, ping comments and a final done event', () => {
    const s = parseGatewayStream(
      'data: {"chunk":"Xin ","done":false}\n\n: ping\n\ndata: {"chunk":"chào","done":false}\n\ndata: {"chunk":"","done":true,"provider":"gemini"}\n\n',
    )
    expect(s.text).toBe('Xin chào')
    expect(s.comments).toEqual([': ping'])
    expect(s.last).toEqual({ chunk: '', done: true, provider: 'gemini' })
  })

  it.each([
    ['CRLF framing', 'data: {"chunk":"a","done":false}\r\n\r\n'],
    ['no final blank line', 'data: {"chunk":"a","done":true}\n'],
    ['two lines in one event', 'data: {"chunk":"a",\ndata: "done":true}\n\n'],
    ['a non-JSON payload', 'data: [DONE]\n\n'],
    ['an event field', 'event: message\ndata: {"done":true}\n\n'],
    ['no "done"', 'data: {"chunk":"a"}\n\n'],
    ['an event after done', 'data: {"chunk":"","done":true}\n\ndata: {"chunk":"a","done":false}\n\n'],
    ['"data:" without a space', 'data:{"chunk":"","done":true}\n\n'],
  ])('rejects %s', (_name, raw) => {
    expect(() => parseGatewayStream(raw)).toThrow(/bad gateway SSE framing/)
  })
})
