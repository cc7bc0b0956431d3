import { describe, expect, it } from 'vitest'
import { createEventDecoder } from './event-decoder'

const LIMIT = 1000
const encode = (text: string) => new TextEncoder().encode(text)

/** A decoder with a {@link LIMIT}-character bound whose onOversize throws; returns the data it passed on. */
function decoder() {
  const seen: string[] = []
  const stray: string[] = []
  const d = createEventDecoder({
    maxEventSize: LIMIT,
    onData: (data) => seen.push(data),
    onStrayLine: (line) => stray.push(line),
    onOversize: () => {
      throw new Error('oversize')
    },
  })
  return { push: (text: string) => d.push(encode(text)), seen, stray }
}

describe('createEventDecoder bounds every event and line (MAX_UPSTREAM_EVENT_BYTES)', () => {
  it('a line that never ends is cut as soon as it is longer than the limit', () => {
    const d = decoder()
    d.push('data: ok\n\ndata: ')
    expect(() => {
      for (let i = 0; i < 10; i++) d.push('a'.repeat(200))
    }).toThrow('oversize')
    expect(d.seen).toEqual(['ok'])
  })

  it('an event over the limit is not passed on when one read completes it', () => {
    const whole = decoder()
    expect(() => whole.push(`data: ${'b'.repeat(LIMIT + 1)}\n\n`)).toThrow('oversize')
    // Each read under the limit, the second completes the event.
    const split = decoder()
    split.push(`data: ${'b'.repeat(LIMIT - 100)}`)
    expect(() => split.push(`${'b'.repeat(200)}\n\n`)).toThrow('oversize')
    expect([...whole.seen, ...split.seen]).toEqual([])
  })

  it('a stray line over the limit is not passed on', () => {
    const d = decoder()
    expect(() => d.push(`{"error": "${'c'.repeat(LIMIT)}"}\n`)).toThrow('oversize')
    expect(d.stray).toEqual([])
  })

  it('events and stray lines at the limit pass whole, however the reads split them', () => {
    const d = decoder()
    const text = 'd'.repeat(LIMIT)
    const wire = `data: ${text}\n\n${'e'.repeat(LIMIT)}\ndata: ${text}\r\n\r\n`
    for (let at = 0; at < wire.length; at += 333) d.push(wire.slice(at, at + 333))
    expect(d.seen).toEqual([text, text])
    expect(d.stray).toEqual(['e'.repeat(LIMIT)])
  })
})
