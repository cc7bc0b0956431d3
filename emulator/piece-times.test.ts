import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { monotonicMs } from './piece-times.ts'
import { expectedChunks, startEmulator, type Emulator, type PieceRecord } from './server.ts'

let emu: Emulator
let off: Emulator
beforeAll(async () => {
  ;[emu, off] = await Promise.all([startEmulator({ recordPieceTimes: true }), startEmulator()])
})
afterAll(() => Promise.all([emu.close(), off.close()]))

const post = (path: string, headers: Record<string, string>, body: unknown) =>
  fetch(`${emu.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
const STREAMS = {
  openai: (prompt: string) =>
    post(
      '/v1/chat/completions',
      { authorization: 'Bearer k' },
      { model: 'gpt-4.1-mini', stream: true, messages: [{ role: 'user', content: prompt }] },
    ),
  responses: (prompt: string) =>
    post('/v1/responses', { authorization: 'Bearer k' }, { model: 'gpt-4.1-mini', input: prompt, stream: true }),
  gemini: (prompt: string) =>
    post(
      '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
      { 'x-goog-api-key': 'k' },
      { contents: [{ role: 'user', parts: [{ text: prompt }] }] },
    ),
}
const times = async (at: Emulator) => {
  const res = await fetch(`${at.url}/__emulator/piece-times`)
  return { status: res.status, body: (await res.json()) as Record<string, PieceRecord> | { error: string } }
}
/** Where each piece ends in the joined answer. */
const ends = (pieces: string[]) => pieces.map((_, i) => pieces.slice(0, i + 1).join('').length)

describe('piece times (--piece-times)', () => {
  it.each(Object.keys(STREAMS) as (keyof typeof STREAMS)[])(
    '%s: one entry per content piece, at its end in the answer text, written in order on the shared monotonic clock',
    async (api) => {
      const prompt = `Piece times ${api} [emu delay=1 chunks=6]`
      const before = monotonicMs()
      const res = await STREAMS[api](prompt)
      expect(res.status).toBe(200)
      await res.text()
      const after = monotonicMs()
      const { status, body } = await times(emu)
      expect(status).toBe(200)
      const record = (body as Record<string, PieceRecord>)[prompt]!
      const provider = api === 'gemini' ? 'gemini' : 'openai'
      expect(record.ends).toEqual(ends(expectedChunks(prompt, { provider, chunks: 6 })))
      expect(record.at).toHaveLength(6)
      expect(record.at[0]).toBeGreaterThanOrEqual(before)
      expect(record.at.at(-1)).toBeLessThanOrEqual(after)
      expect([...record.at].sort((a, b) => a - b)).toEqual(record.at)
    },
  )

  it('DELETE clears them; a later request of the same prompt replaces its entry', async () => {
    const prompt = 'Piece times again [emu chunks=3]'
    for (let i = 0; i < 2; i++) await (await STREAMS.openai(prompt)).text()
    const { body } = await times(emu)
    expect((body as Record<string, PieceRecord>)[prompt]!.ends).toEqual(
      ends(expectedChunks(prompt, { provider: 'openai', chunks: 3 })),
    )
    expect((await fetch(`${emu.url}/__emulator/piece-times`, { method: 'DELETE' })).status).toBe(204)
    expect(await times(emu)).toEqual({ status: 200, body: {} })
  })

  it('off by default: 404 that says how to turn them on', async () => {
    expect(await times(off)).toEqual({
      status: 404,
      body: { error: 'piece times are off: start the emulator with --piece-times' },
    })
  })
})
