import { describe, expect, it } from 'vitest'
import { chunkData, doneData } from '../sse'
import { StreamLog, type LogSink } from './stream-log'

const ID = 'x3Q0bC9vZ-1kR2_wT8yNa4Lm'
const decoder = new TextDecoder()

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
})
