/**
 * Memory per open stream: one server process holds `streams` answers open at once (the emulator
 * paces them slowly), and its resident memory (VmRSS of its process group) is read while all are
 * open, against the same process idle after a warm-up. `(open − idle) / streams` is the cost of
 * one open stream: request and response objects, the upstream fetch, buffers and the parser state.
 *
 * @example
 * const m = await measureMemory(target, pid, { streams: 1000, provider: 'openai' })
 */
import { performance } from 'node:perf_hooks'
import type { Provider } from './apis.ts'
import { measureStream, type StreamSample, type Target } from './client.ts'
import * as cpu from './cpu.ts'
import { runBatch, nextPrompt } from './rounds.ts'

export interface MemorySpec {
  streams: number
  provider: Provider
  /** Emulator pacing that keeps a stream open for a while: `[emu ttft=0 delay=2000 chunks=5]`. */
  tag: string
  /** How long to wait for every stream's first read before sampling anyway. */
  openTimeoutMs: number
}

export interface MemoryResult {
  streams: number
  /** Streams whose first answer text had arrived when memory was read (all open at once when = streams). */
  openAtSample: number
  /** Streams that had already ended when memory was read. */
  endedAtSample: number
  idleKb: number
  openKb: number
  perStreamKb: number
  failures: number
  lostBytes: number
  failureSamples: string[]
  seconds: number
}

/** A read that carries answer text in any contender's format (ours, OpenAI's, Gemini's). */
const TEXT = /"chunk":"[^"]|"content":"[^"]|"text": ?"[^"]/
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export async function measureMemory(t: Target, pgid: number, spec: MemorySpec): Promise<MemoryResult> {
  const began = performance.now()
  // Warm-up: the code paths are compiled and the pools allocated before the idle reading.
  await runBatch(
    t,
    {
      name: 'memory-warmup',
      rounds: 1,
      n: 40,
      concurrency: 20,
      provider: spec.provider,
      tag: '[emu ttft=0 delay=1 chunks=20]',
      warmup: 0,
    },
    40,
    20,
    undefined,
  )
  await sleep(1000)
  const idleKb = median([
    cpu.groupRssKb(pgid),
    (await sleep(200), cpu.groupRssKb(pgid)),
    (await sleep(200), cpu.groupRssKb(pgid)),
  ])
  let open = 0
  let ended = 0
  const streams: Promise<StreamSample>[] = []
  for (let i = 0; i < spec.streams; i++) {
    const { prompt, expected } = nextPrompt(spec.provider, 'memory', spec.tag)
    let seen = false
    streams.push(
      measureStream(t, spec.provider, prompt, expected, {
        timeoutMs: 120_000,
        // Open = the provider's text reached the client, not just the headers (Bun's gateway flushes `: open` at once).
        onRead: (chunk) => {
          if (seen || !TEXT.test(chunk.toString('latin1'))) return
          seen = true
          open++
        },
      }).then((s) => {
        ended++
        return s
      }),
    )
  }
  const deadline = performance.now() + spec.openTimeoutMs
  while (open + ended < spec.streams && performance.now() < deadline) await sleep(50)
  await sleep(300) // let the last streams' first events settle
  const openAtSample = open
  const endedAtSample = ended
  const openKb = median([
    cpu.groupRssKb(pgid),
    (await sleep(150), cpu.groupRssKb(pgid)),
    (await sleep(150), cpu.groupRssKb(pgid)),
  ])
  const samples = await Promise.all(streams)
  const failed = samples.filter((s) => !s.ok)
  return {
    streams: spec.streams,
    openAtSample,
    endedAtSample,
    idleKb,
    openKb,
    perStreamKb: (openKb - idleKb) / spec.streams,
    failures: failed.length,
    lostBytes: samples.reduce((n, s) => n + s.lostBytes, 0),
    failureSamples: [...new Set(failed.map((s) => s.failure ?? '?'))].slice(0, 3),
    seconds: (performance.now() - began) / 1000,
  }
}
