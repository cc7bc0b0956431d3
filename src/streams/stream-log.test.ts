import { describe, expect, it } from 'vitest'
import { chunkData, doneData, errorData } from '../sse'
import { StreamLog, type LogSink } from './stream-log'

const ID = 'x3Q0bC9vZ-1kR2_wT8yNa4Lm'
const decoder = new TextDecoder()
const encoder = new TextEncoder()

function recorder(): LogSink & { text: () => string; closed: boolean } {
  const parts: Uint8Array[] = []
  const sink = {
    closed: false,
    push: (bytes: Uint8Array) => void parts.push(bytes),
    close: () => void (sink.closed = true),
    text: () => parts.map((part) => decoder.decode(part)).join(''),
  }
  return sink
}

describe('StreamLog', () => {
  it('gives a late listener the events after its position, then live, each once, then the closing event', () => {
    const log = new StreamLog(ID, { graceMs: 0 })
    log.append(chunkData('a'))
    log.append(chunkData('b'))
    const early = recorder()
    log.attach(0, early)
    const late = recorder()
    log.attach(1, late)
    log.append(chunkData('c'))
    log.finish(doneData({ finish_reason: 'stop' }))
    log.append(chunkData('ignored'))
    const event = (n: number, data: string) => `id: ${ID}:${n}\ndata: ${data}\n\n`
    const all = [chunkData('a'), chunkData('b'), chunkData('c'), doneData({ finish_reason: 'stop' })].map((data, i) =>
      event(i + 1, data),
    )
    expect(early.text()).toBe(all.join(''))
    expect(late.text()).toBe(all.slice(1).join(''))
    expect(early.closed && late.closed).toBe(true)
    expect(log.count).toBe(4)
    expect(log.bytes).toBe(new TextEncoder().encode(all.join('')).byteLength)
    const after = recorder()
    log.attach(4, after)
    expect(after.text()).toBe('')
    expect(after.closed).toBe(true)
  })

  it('calls onDeserted once the last listener stayed away for the grace, and not if one comes back', async () => {
    let deserted = 0
    const log = new StreamLog(ID, { graceMs: 50, onDeserted: () => deserted++ })
    const detachA = log.attach(0, recorder())
    const detachB = log.attach(0, recorder())
    detachA()
    await new Promise((resolve) => setTimeout(resolve, 80))
    expect(deserted).toBe(0) // B is still there
    detachB()
    await new Promise((resolve) => setTimeout(resolve, 20))
    log.attach(0, recorder()) // back within the grace
    await new Promise((resolve) => setTimeout(resolve, 80))
    expect(deserted).toBe(0)
    const log2 = new StreamLog(ID, { graceMs: 50, onDeserted: () => deserted++ })
    log2.attach(0, recorder())()
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(deserted).toBe(0)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(deserted).toBe(1)
  })

  it('packs a finished log into one buffer: a replay hands out views of it, the same bytes as live', () => {
    const log = new StreamLog(ID, { graceMs: 0 })
    const live = recorder()
    log.attach(0, live)
    for (const piece of ['a', 'bc', 'déf']) log.append(chunkData(piece))
    expect(log.packed).toBeUndefined()
    log.finish(doneData({ finish_reason: 'stop' }))
    const packed = log.packed!
    expect(packed.bytes.byteLength).toBe(log.bytes)
    expect(decoder.decode(packed.bytes)).toBe(live.text())
    const views: Uint8Array[] = []
    log.attach(1, { push: (bytes) => void views.push(bytes), close: () => {} })
    expect(views.map((view) => decoder.decode(view))).toEqual([
      `id: ${ID}:2\ndata: ${chunkData('bc')}\n\n`,
      `id: ${ID}:3\ndata: ${chunkData('déf')}\n\n`,
      `id: ${ID}:4\ndata: ${doneData({ finish_reason: 'stop' })}\n\n`,
    ])
    expect(views.every((view) => view.buffer === packed.bytes.buffer)).toBe(true)
    // Where each event ends in the buffer: after 'a' (1 byte), 'bc' (2), 'déf' (4 in UTF-8) and the closing event.
    const sizes = [chunkData('a'), chunkData('bc'), chunkData('déf'), doneData({ finish_reason: 'stop' })].map(
      (data, i) => encoder.encode(`id: ${ID}:${i + 1}\ndata: ${data}\n\n`).byteLength,
    )
    expect(Array.from(packed.ends)).toEqual(sizes.map((_, i) => sizes.slice(0, i + 1).reduce((a, b) => a + b)))
  })

  it('refuses an event past maxBytes (onOverflow instead, with the bound lifted for the ending), reports each size to onGrow', () => {
    const grown: number[] = []
    let overflows = 0
    const event = (n: number, data: string) => `id: ${ID}:${n}\ndata: ${data}\n\n`
    const size = (n: number, data: string) => encoder.encode(event(n, data)).byteLength
    const maxBytes = size(1, chunkData('a')) + size(2, chunkData('b'))
    const log: StreamLog = new StreamLog(ID, {
      graceMs: 0,
      maxBytes,
      onOverflow: () => {
        overflows++
        log.appendEvent(`data: ${errorData('too long')}\n\n`)
        log.close()
      },
      onGrow: (bytes) => void grown.push(bytes),
    })
    expect(log.append(chunkData('a'))).toBe(size(1, chunkData('a')))
    // Whole events as bytes: the first fits, the second does not, the third is never looked at.
    const frames = [chunkData('b'), chunkData('c'), chunkData('d')].map((data) => `data: ${data}\n\n`).join('')
    log.appendEvents(encoder.encode(frames))
    expect(overflows).toBe(1)
    expect(log.finished).toBe(true)
    expect(log.append(chunkData('e'))).toBe(0)
    const all = recorder()
    log.attach(0, all)
    expect(all.text()).toBe(event(1, chunkData('a')) + event(2, chunkData('b')) + event(3, errorData('too long')))
    expect(grown).toEqual([size(1, chunkData('a')), size(2, chunkData('b')), size(3, errorData('too long'))])
    expect(log.bytes).toBe(grown.reduce((sum, bytes) => sum + bytes, 0))
  })
})
