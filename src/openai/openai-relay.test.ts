import { describe, expect, it } from 'vitest'
import { boundaryEnd } from './openai-relay'

const bytes = (text: string) => new TextEncoder().encode(text)

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
