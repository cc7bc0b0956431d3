import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app'
import { captureLogs, jsonPost } from './app-call'
import { ANSWERED_TIMING, type AnswerTiming, inProcessApp, readStream, scenario, waitFor } from './helpers'

/**
 * What the gateway added and what the upstream took: the seed API's headers leave before the upstream
 * answers, so their Server-Timing has `gw` alone and the closing event carries both figures, the same
 * as the log line's; the OpenAI-shaped APIs send their headers after the first output, with both.
 */

let logs: ReturnType<typeof captureLogs> | undefined
afterEach(() => logs?.stop())

/** The fake upstream holds its headers back this long: `upstream_ms` can be no less. */
const HEADERS_DELAY_MS = 200
/** Date.now() in workerd and in the fake upstream's process may round differently: a margin, never a ceiling. */
const AT_LEAST_MS = HEADERS_DELAY_MS - 20

/** Where the answer runs: the record that takes the upstream's times is the request's own, or rebuilt by the object. */
const PATHS = [
  ['direct path (RESUMABLE=off)', () => createApp(), { RESUMABLE: 'off' }],
  ['resumable, in this process', () => inProcessApp(), {}],
  ['resumable on Workers, the worker runs it and copies it to the object', () => createApp(), {}],
  ['resumable on Workers, RESUME_RUNNER=object', () => createApp(), { RESUME_RUNNER: 'object' }],
] as const

/** The log line of the request `requestId`, once written (a stream writes it when it ends). */
async function logLine(requestId: string): Promise<Record<string, unknown> | undefined> {
  return waitFor(async () => logs!.records().find((line) => line.request_id === requestId), 2000)
}

describe('the seed API’s closing event carries the upstream’s timing', () => {
  for (const [path, app, vars] of PATHS) {
    it(`${path}: Server-Timing has gw alone, the closing event timing, with the log line's figures`, async () => {
      const model = await scenario({ fixture: 'gemini-basic.sse', headersDelayMs: HEADERS_DELAY_MS })
      logs = captureLogs()
      const response = await app().fetch(
        new Request('http://gateway.test/api/stream/chat', {
          ...jsonPost({ user_input: 'Hi', provider: 'gemini', model }),
        }),
        { ...env, ...vars },
      )
      expect(response.headers.get('server-timing')).toMatch(/^gw;dur=\d+$/)
      expect(response.headers.has('x-stream-id')).toBe(path !== 'direct path (RESUMABLE=off)')
      const { events, timing } = await readStream(response)
      expect(events.at(-1)).toEqual({
        chunk: '',
        done: true,
        provider: 'gemini',
        model: 'gemini-2.0-flash',
        finish_reason: 'stop',
        usage: { prompt_tokens: 7, completion_tokens: 10, total_tokens: 17 },
        attempts: 1,
      })
      expect(timing).toEqual(ANSWERED_TIMING)
      const { gw_ms, upstream_ms } = timing as AnswerTiming
      expect(upstream_ms).toBeGreaterThanOrEqual(AT_LEAST_MS)
      // With RESUME_RUNNER=object the object writes the line, with the record it rebuilt from the start's snapshot.
      expect(await logLine(response.headers.get('x-request-id')!)).toMatchObject({
        outcome: 'done',
        gw_ms,
        upstream_ms,
      })
    })
  }

  it('an error event after the upstream answered carries timing; one the upstream refused with a status has none', async () => {
    const dropped = await scenario({ fixture: 'gemini-basic.sse', dropAfterWrites: 1 })
    const midAnswer = await readStream(
      await createApp().fetch(
        new Request('http://gateway.test/api/stream/chat', {
          ...jsonPost({ user_input: 'Hi', provider: 'gemini', model: dropped }),
        }),
        { ...env, RESUMABLE: 'off' },
      ),
    )
    expect(midAnswer.events.at(-1)).toEqual({
      error:
        'gemini: the connection to the provider closed before the answer was complete. The answer is incomplete; retry.',
      done: true,
    })
    expect(midAnswer.timing).toEqual(ANSWERED_TIMING)

    const refused = await scenario({ fixture: 'gemini-error-400-api-key-invalid.json' })
    const status = await readStream(
      await createApp().fetch(
        new Request('http://gateway.test/api/stream/chat', {
          ...jsonPost({ user_input: 'Hi', provider: 'gemini', model: refused }),
        }),
        { ...env, RESUMABLE: 'off' },
      ),
    )
    expect(status.events).toEqual([{ error: expect.stringMatching(/^gemini: .*HTTP 400/), done: true }])
    expect(status.timing).toBeUndefined()
  })
})

describe('the OpenAI-shaped APIs send their headers after the first output: Server-Timing has both', () => {
  const SERVER_TIMING = /^gw;dur=\d+, upstream;dur=(\d+)$/
  const requests = [
    [
      '/v1/chat/completions',
      'openai-chat-basic.sse',
      (model: string) => ({ model: `openai/${model}`, messages: [{ role: 'user', content: 'Hi' }], stream: true }),
    ],
    [
      '/v1/responses',
      'openai-responses-text.sse',
      (model: string) => ({ model: `openai/${model}`, input: 'Hi', stream: true }),
    ],
  ] as const
  /**
   * A known gap, where the header still has `gw` alone (and `gw` counts the upstream's wait):
   * RESUME_RUNNER=object, whose record is the object's: its times never reach the worker's. `it.fails`
   * until fixed: the fix turns the case red, and it then moves to `it`.
   */
  const lacksUpstream = (_route: string, path: string) => path === 'resumable on Workers, RESUME_RUNNER=object'
  for (const [route, fixture, body] of requests) {
    for (const [path, app, vars] of PATHS) {
      ;(lacksUpstream(route, path) ? it.fails : it)(`${route}, ${path}`, async () => {
        const model = await scenario({ fixture, headersDelayMs: HEADERS_DELAY_MS })
        const response = await app().fetch(new Request(`http://gateway.test${route}`, jsonPost(body(model))), {
          ...env,
          ...vars,
        })
        expect(response.status).toBe(200)
        expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/)
        const header = response.headers.get('server-timing') ?? ''
        await response.text()
        expect(header).toMatch(SERVER_TIMING)
        expect(Number(SERVER_TIMING.exec(header)![1])).toBeGreaterThanOrEqual(AT_LEAST_MS)
      })
    }
  }
})
