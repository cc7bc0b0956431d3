/**
 * The streaming cases of `npm run bench`, each with the emulator's pacing, the streams per round and
 * the number of chunks per stream (see bench/README.md, "Cases"). `--quick` runs fewer streams.
 *
 * @example
 * for (const spec of caseSpecs('gemini', { rounds: 5, quick: false })) await runRounds(targets, spec, pgids, stop)
 */
import { expectedAnswer } from '../../emulator/answer.ts'
import type { Provider } from './apis.ts'
import type { RoundSpec } from './rounds.ts'

export type CaseSpec = RoundSpec & { chunks: number }

/** Sentences enough for `chunks=N`, which yields at most one piece per code point. */
function sentencesFor(chunks: number, provider: Provider): number {
  for (let s = 5; s < 2000; s += 5)
    if (Array.from(expectedAnswer('Bench #0', { provider, sentences: s })).length >= chunks + 40) return s
  return 2000
}

export function caseSpecs(provider: Provider, { rounds, quick }: { rounds: number; quick: boolean }): CaseSpec[] {
  const burst = (chunks: number) => `[emu ttft=0 delay=0 chunks=${chunks} sentences=${sentencesFor(chunks, provider)}]`
  return [
    {
      name: 'steady',
      chunks: 50,
      tag: '[emu ttft=0 delay=2 chunks=50]',
      rounds,
      n: quick ? 2 : 8,
      concurrency: 1,
      warmup: 2,
      provider,
    },
    {
      name: 'c50',
      chunks: 20,
      tag: '[emu ttft=0 delay=2 chunks=20]',
      rounds: quick ? 1 : rounds,
      n: quick ? 20 : 50,
      concurrency: quick ? 20 : 50,
      warmup: 10,
      provider,
    },
    { name: 'burst', chunks: 2000, tag: burst(2000), rounds, n: quick ? 1 : 2, concurrency: 1, warmup: 1, provider },
    {
      name: 'saturation',
      chunks: 1000,
      tag: burst(1000),
      rounds: quick ? 1 : rounds,
      n: quick ? 4 : 8,
      concurrency: quick ? 4 : 8,
      warmup: 0,
      provider,
      timeoutMs: 60_000,
    },
  ]
}
