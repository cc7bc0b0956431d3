/**
 * A retry under a token budget: an upstream request that was answered (2xx) and then failed before
 * any text still spent its input, so the retry may only generate what the reservation still holds,
 * and none when nothing is left. The settled total never passes the reservation.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app'
import { readStream, scenario, upstreamRequests, waitFor } from './helpers'

/** What the fixture's usage chunk reports: 12 prompt + 100 completion tokens. */
const SPENT = 112
const PROMPT = 'Tell me everything about retries under a token budget, with as much detail as you can give. Xin chào!'
/** Its input estimate: UTF-8 bytes, one message, the request. */
const INPUT = new TextEncoder().encode(PROMPT).length + 8 + 32
let ips = 0

async function run(maxTokens: number) {
  const app = createApp()
  const ip = `192.0.2.${ips++}`
  const send = (path: string, init: RequestInit = {}) =>
    Promise.resolve(
      app.fetch(
        new Request(`http://gateway.test${path}`, {
          ...init,
          headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip },
        }),
        { ...env, TOKEN_BUDGET: '5000/1d' },
      ),
    )
  // The first request is answered, then its connection drops before any text; the next one answers.
  const model = await scenario({ fixture: 'openai-chat-usage.sse', firstRequests: [{ dropAfterWrites: 1 }] })
  const response = await send('/api/stream/chat', {
    method: 'POST',
    body: JSON.stringify({ user_input: PROMPT, provider: 'openai', model, max_tokens: maxTokens }),
  })
  expect(response.status).toBe(200)
  const closing = (await readStream(response)).events.at(-1)!
  const usage = await waitFor(async () => {
    const figures = (await (await send('/api/usage')).json()) as { used: number; reserved: number }
    return figures.reserved === 0 ? figures : undefined
  }, 10_000)
  const limits = (await upstreamRequests(model)).map(
    (request) => (request.body as { max_completion_tokens: number }).max_completion_tokens,
  )
  return { closing, used: usage?.used, limits }
}

describe('a retry under a token budget', () => {
  it('gets only the output the reservation still holds after the failed request spent its input', async () => {
    expect(INPUT).toBeLessThan(200)
    const { closing, used, limits } = await run(200)
    expect(limits).toEqual([200, 200 - INPUT])
    expect(closing).toMatchObject({ done: true, budget: { reserved: INPUT + 200, spent: INPUT + SPENT } })
    expect(used).toBe(INPUT + SPENT)
  })

  it('is not sent when the failed request spent all the reservation could still hold: the answer fails', async () => {
    const { closing, used, limits } = await run(100)
    expect(limits).toEqual([100])
    expect(closing).toMatchObject({ done: true, error: expect.stringMatching(/^openai: /) })
    // The failed request's input, and nothing it generated (it showed nothing).
    expect(used).toBe(INPUT)
  })
})
