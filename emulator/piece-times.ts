/**
 * When each content piece of a streamed answer was written, by prompt (off unless the emulator is
 * started with `recordPieceTimes` / `cli.ts --piece-times`). A client on the same machine compares
 * them with the times its own reads arrived, to see how long each piece spent in a server between
 * them (the bench's "added gap between chunks"). Times are milliseconds of the system's monotonic
 * clock (`process.hrtime`, CLOCK_MONOTONIC on Linux), so they compare across processes of one machine.
 *
 * @example
 * const store = new PieceTimes()
 * store.start('Hi [emu chunks=2]').add(3, monotonicMs()) // the first piece ended at text offset 3
 * store.list() // { 'Hi [emu chunks=2]': { ends: [3], at: [1234567.891] } }
 */

/** One answer's pieces: where each ended in the answer text (UTF-16 code units) and when it was written. */
export interface PieceRecord {
  ends: number[]
  at: number[]
}

/** Milliseconds of the system's monotonic clock, comparable across processes on one machine. */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6

/** Prompts kept at most: a client that never reads them cannot grow the emulator without bound. */
const MAX_PROMPTS = 5000

export class PieceTimes {
  private byPrompt = new Map<string, PieceRecord>()

  /** A fresh record for one answer to `prompt` (a later request of the same prompt replaces it). */
  start(prompt: string): { add(end: number, at: number): void } {
    const record: PieceRecord = { ends: [], at: [] }
    this.byPrompt.delete(prompt)
    this.byPrompt.set(prompt, record)
    if (this.byPrompt.size > MAX_PROMPTS) this.byPrompt.delete(this.byPrompt.keys().next().value as string)
    return {
      add(end, at) {
        record.ends.push(end)
        record.at.push(at)
      },
    }
  }

  list(): Record<string, PieceRecord> {
    return Object.fromEntries(this.byPrompt)
  }

  clear(): void {
    this.byPrompt.clear()
  }
}
