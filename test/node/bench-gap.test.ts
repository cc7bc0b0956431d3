import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exchangeFor, type ApiId, type Provider } from '../../bench/lib/apis.ts'
import { makeTarget, type StreamSample } from '../../bench/lib/client.ts'
import { gapFigures, pieceDelays } from '../../bench/lib/gap.ts'
import { runBatch, type Batch } from '../../bench/lib/rounds.ts'
import { expectedChunks, startEmulator, type Emulator } from '../../emulator/server.ts'

let emu: Emulator
beforeAll(async () => {
  emu = await startEmulator({ recordPieceTimes: true })
})
afterAll(() => emu.close())

/** A batch whose passing streams had these chunk delays (ms). */
const batch = (...streams: number[][]): Batch => ({
  samples: streams.map((chunkDelays) => ({ ok: true, chunkDelays }) as StreamSample),
  cpuMs: NaN,
  wallMs: NaN,
})

describe('added gap between chunks (bench/lib/gap.ts)', () => {
  it.each([
    ['api', 'openai'],
    ['api', 'gemini'],
    ['responses', 'openai'],
  ] as [ApiId, Provider][])(
    '%s %s: every piece the emulator wrote gets one delay, from its write to the read that brought it',
    async (api, provider) => {
      const target = makeTarget('direct', 'direct', emu.url, exchangeFor(api, 'direct'))
      const tag = '[emu ttft=0 delay=1 chunks=7]'
      const spec = { name: 'gap', rounds: 1, n: 2, concurrency: 1, provider, tag, warmup: 0, pieceTimesFrom: emu.url }
      const { samples } = await runBatch(target, spec, 2, 1, undefined)
      target.agent.destroy()
      for (const s of samples) {
        expect(s.failure).toBeUndefined()
        expect(s.textArrivals.at(-1)?.textLength).toBe(
          expectedChunks(s.prompt, { provider, chunks: 7 }).join('').length,
        )
        expect(s.chunkDelays).toHaveLength(7)
        // A piece cannot arrive before it was written: the client's reads and the emulator's writes share one clock.
        for (const d of s.chunkDelays!) expect(d).toBeGreaterThan(0)
      }
    },
  )

  it('times a piece by where it ends in the text: merged pieces share the read that completed them', () => {
    const record = { ends: [2, 5, 9, 12], at: [100, 102, 104, 106] }
    // Pieces 2 and 3 came in one event; piece 4 was split across two events.
    const arrivals = [
      { textLength: 2, at: 100.1 },
      { textLength: 9, at: 104.2 },
      { textLength: 10, at: 106.1 },
      { textLength: 12, at: 106.3 },
    ]
    expect(pieceDelays(arrivals, record).map((d) => d.toFixed(1))).toEqual(['0.1', '2.2', '0.2', '0.3'])
    // A stream cut short: the pieces that never arrived have no delay.
    expect(pieceDelays(arrivals.slice(0, 2), record)).toHaveLength(3)
  })

  it('a piece held until the next is written shows its hold, though the gaps between arrivals stay even', () => {
    const floor = batch([0.2, 0.2, 0.2, 0.2], [0.2, 0.2, 0.3, 0.2])
    // Pieces written every 2 ms; each arrives with the next one's write: +2 ms each, arrivals still 2 ms apart.
    const held = batch([2.2, 2.2, 2.2, 2.2], [2.2, 2.2, 2.3, 2.2])
    const figures = gapFigures([held], [floor])
    expect(figures.chunksTimed).toBe(8)
    expect(figures.addedGapP50).toBeCloseTo(2, 6)
    expect(figures.addedGapP99).toBeCloseTo(2, 6)
    // The floor against itself adds nothing; a contender nothing was timed for has no figure.
    expect(gapFigures([floor], [floor]).addedGapP99).toBe(0)
    expect(gapFigures([batch([])], [floor]).addedGapP99).toBeNaN()
  })

  it('pairs each round with the floor of the same round: a stall in one batch moves that round only', () => {
    const even = batch([0.2, 0.3, 0.2, 0.2])
    const stalled = batch([0.2, 9, 0.2, 0.2])
    const figures = gapFigures([even, stalled, even], [even, even, even])
    expect(figures.addedGapP99Rounds.map((x) => x > 5)).toEqual([false, true, false])
    expect(figures.addedGapP99).toBe(0)
    // Over every piece of every round, the one stall would be the contender's p99.
    expect(figures.chunkDelayP99).toBeGreaterThan(5)
  })

  it('failed streams are left out', () => {
    const failed = { ...batch([50, 50]).samples[0]!, ok: false }
    expect(gapFigures([{ samples: [failed], cpuMs: NaN, wallMs: NaN }, batch([1])], [batch([1])]).chunksTimed).toBe(1)
  })
})
