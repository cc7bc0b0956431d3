import { describe, expect, it } from 'vitest'
import type { LoggedRequest } from '../replay/server'
import { bodyText, parseEvents, postWith, scenario, upstreamClosedEarly, upstreamRequests, waitFor } from './helpers'

const GEMINI_BASIC =
  'data: {"chunk":"The","done":false}\n\n' +
  'data: {"chunk":" capital of Wyoming","done":false}\n\n' +
  'data: {"chunk":" is **Cheyenne**.\\n","done":false}\n\n' +
  'data: {"chunk":"","done":true,"provider":"gemini","model":"gemini-2.0-flash","finish_reason":"stop","usage":{"prompt_tokens":7,"completion_tokens":10,"total_tokens":17},"attempts":2}\n\n'

const firstText = (provider: string, seconds: string) =>
  `${provider}: the provider sent no text within ${seconds} s (FIRST_TEXT_TIMEOUT_MS), so the request was stopped. Retry later.`
const idle = (provider: string, seconds: string) =>
  `${provider}: no data from the provider for ${seconds} s (UPSTREAM_IDLE_TIMEOUT_MS), so the request was stopped. The answer is incomplete; retry later.`
const total = (provider: string, seconds: string) =>
  `${provider}: the answer took longer than ${seconds} s (MAX_DURATION_MS), so the request was stopped. Ask for a shorter answer or retry.`

/** Waits until the fake upstream saw the gateway close every request for `model`; returns them. */
async function closedByGateway(model: string, count: number): Promise<LoggedRequest[]> {
  const requests = await waitFor(async () => {
    const logged = await upstreamRequests(model)
    return logged.length === count && logged.every((request) => request.clientClosedEarly) ? logged : undefined
  }, 2000)
  expect(requests, `the gateway did not close all ${count} upstream request(s) for ${model}`).toBeDefined()
  return requests!
}

describe('FIRST_TEXT_TIMEOUT_MS', () => {
  it('a provider that sends nothing in time is stopped and asked again; the retry answers', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse', firstRequests: [{ headersDelayMs: 5000 }] })
    const startedAt = Date.now()
    const response = await postWith({ FIRST_TEXT_TIMEOUT_MS: '300' }, '/api/stream/chat', {
      user_input: 'Hi',
      provider: 'gemini',
      model,
    })
    expect(await bodyText(response)).toBe(GEMINI_BASIC)
    expect(Date.now() - startedAt).toBeLessThan(2500)
    // The gateway retries without waiting for the first attempt's connection to close, so that close
    // can reach the fake upstream after the answer: wait for it.
    const first = await upstreamClosedEarly(model)
    expect(first, 'the first attempt was still open 1 s after the answer').toBeDefined()
    expect(first!.closedAt! - first!.receivedAt).toBeLessThan(1500)
    const [, second] = await upstreamRequests(model)
    expect(second).toMatchObject({ status: 200, clientClosedEarly: false })
  })

  it('headers but no text: the stream ends with its own message and the upstream is closed', async () => {
    const model = await scenario({ fixture: 'openai-chat-basic.sse', stallAfterWrites: 0 })
    const response = await postWith({ FIRST_TEXT_TIMEOUT_MS: '400', RETRIES: '0' }, '/api/stream/chat', {
      user_input: 'Hi',
      provider: 'openai',
      model,
    })
    expect(parseEvents(await bodyText(response))).toEqual([{ error: firstText('openai', '0.4'), done: true }])
    await closedByGateway(model, 1)
  })

  it('/api/flows/ask against a stalled provider answers 504 within the first-text timeout', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse', headersDelayMs: 10_000 })
    const startedAt = Date.now()
    const response = await postWith({ FIRST_TEXT_TIMEOUT_MS: '500', RETRIES: '0' }, '/api/flows/ask', {
      user_input: 'Hi',
      provider: 'gemini',
      model,
    })
    const elapsed = Date.now() - startedAt
    expect(response.status).toBe(504)
    expect(await response.json()).toEqual({
      error: firstText('gemini', '0.5'),
      request_id: response.headers.get('x-request-id'),
    })
    expect(elapsed).toBeGreaterThanOrEqual(450)
    expect(elapsed).toBeLessThan(1500)
    await closedByGateway(model, 1)
  })

  it('/api/flows/ask with retries: 504 after 1 + RETRIES stalled requests, each closed', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse', headersDelayMs: 10_000 })
    const startedAt = Date.now()
    const response = await postWith({ FIRST_TEXT_TIMEOUT_MS: '300', RETRIES: '1' }, '/api/flows/ask', {
      user_input: 'Hi',
      provider: 'gemini',
      model,
    })
    expect(response.status).toBe(504)
    expect(await response.json()).toEqual({
      error: firstText('gemini', '0.3'),
      request_id: response.headers.get('x-request-id'),
    })
    expect(Date.now() - startedAt).toBeLessThan(2500)
    await closedByGateway(model, 2)
  })
})

describe('UPSTREAM_IDLE_TIMEOUT_MS', () => {
  it('silence after a piece ends the stream with its own message, is not retried, and closes the upstream', async () => {
    const model = await scenario({ fixture: 'openai-chat-basic.sse', stallAfterWrites: 3 })
    const response = await postWith(
      { UPSTREAM_IDLE_TIMEOUT_MS: '500', SSE_PING_INTERVAL_MS: '60000' },
      '/api/stream/chat',
      {
        user_input: 'Hi',
        provider: 'openai',
        model,
      },
    )
    const events = parseEvents(await bodyText(response))
    expect(events.at(-1)).toEqual({ error: idle('openai', '0.5'), done: true })
    expect(
      events
        .slice(0, -1)
        .map((event) => event.chunk)
        .join(''),
    ).toBe('Hi there')
    await closedByGateway(model, 1)
  })

  it('/api/flows/ask answers 504 with the same message', async () => {
    const model = await scenario({ fixture: 'openai-chat-basic.sse', stallAfterWrites: 3 })
    const response = await postWith({ UPSTREAM_IDLE_TIMEOUT_MS: '500' }, '/api/flows/ask', {
      user_input: 'Hi',
      provider: 'openai',
      model,
    })
    expect(response.status).toBe(504)
    expect(await response.json()).toEqual({
      error: idle('openai', '0.5'),
      request_id: response.headers.get('x-request-id'),
    })
    await closedByGateway(model, 1)
  })
})

describe('MAX_DURATION_MS', () => {
  it('an answer that drips on past the limit ends with its own message and the upstream is closed', async () => {
    const model = await scenario({ fixture: 'gemini-basic-long-2024.sse', delayMs: 300 })
    const startedAt = Date.now()
    const response = await postWith({ MAX_DURATION_MS: '1000' }, '/api/stream/chat', {
      user_input: 'Hi',
      provider: 'gemini',
      model,
    })
    const events = parseEvents(await bodyText(response))
    expect(Date.now() - startedAt).toBeLessThan(2000)
    expect(events.length).toBeGreaterThanOrEqual(2)
    for (const event of events.slice(0, -1)) expect(event).toEqual({ chunk: expect.any(String), done: false })
    expect(events.at(-1)).toEqual({ error: total('gemini', '1'), done: true })
    await closedByGateway(model, 1)
  })

  it('/api/flows/ask answers 504 with the same message', async () => {
    const model = await scenario({ fixture: 'gemini-basic-long-2024.sse', delayMs: 300 })
    const response = await postWith({ MAX_DURATION_MS: '1000' }, '/api/flows/ask', {
      user_input: 'Hi',
      provider: 'gemini',
      model,
    })
    expect(response.status).toBe(504)
    expect(await response.json()).toEqual({
      error: total('gemini', '1'),
      request_id: response.headers.get('x-request-id'),
    })
    await closedByGateway(model, 1)
  })

  it('/v1 without stream: a whole body cut by MAX_DURATION_MS is a 504, never a 200 with part of it', async () => {
    const completion = JSON.stringify({
      id: 'chatcmpl-whole',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-x',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there' }, finish_reason: 'stop' }],
    })
    const model = await scenario({
      body: completion,
      headers: { 'content-type': 'application/json' },
      chunking: { bytes: 40 },
      stallAfterWrites: 1,
    })
    const response = await postWith({ MAX_DURATION_MS: '400', RETRIES: '0' }, '/v1/chat/completions', {
      model: `openai/${model}`,
      messages: [{ role: 'user', content: 'Hi' }],
    })
    expect(response.status).toBe(504)
    expect(await response.json()).toEqual({
      error: { message: total('openai', '0.4'), type: 'server_error', param: null, code: 'max_duration' },
      request_id: response.headers.get('x-request-id'),
    })
    await closedByGateway(model, 1)
  })

  it('bounds retries: no wait that would end past it (Retry-After: 1, 1.5 s in all: two requests)', async () => {
    const model = await scenario({ fixture: 'openai-error-503-overloaded.json', headers: { 'retry-after': '1' } })
    const startedAt = Date.now()
    const response = await postWith({ MAX_DURATION_MS: '1500', RETRIES: '5' }, '/api/stream/chat', {
      user_input: 'Hi',
      provider: 'openai',
      model,
    })
    const [event] = parseEvents(await bodyText(response))
    expect(event).toEqual({
      error: 'openai: service unavailable or overloaded (HTTP 503). Retry in a few seconds.',
      done: true,
    })
    expect(Date.now() - startedAt).toBeLessThan(1500)
    expect(await upstreamRequests(model)).toHaveLength(2)
  })

  it('bounds fallback: once it is hit, no FALLBACK entry is tried', async () => {
    const stalled = await scenario({ fixture: 'gemini-basic.sse', headersDelayMs: 10_000 })
    const backup = await scenario({ fixture: 'openai-chat-basic.sse' })
    const response = await postWith({ MAX_DURATION_MS: '800', FALLBACK: `openai:${backup}` }, '/api/stream/chat', {
      user_input: 'Hi',
      provider: 'gemini',
      model: stalled,
    })
    expect(parseEvents(await bodyText(response))).toEqual([{ error: total('gemini', '0.8'), done: true }])
    await closedByGateway(stalled, 1)
    expect(await upstreamRequests(backup)).toHaveLength(0)
  })
})
