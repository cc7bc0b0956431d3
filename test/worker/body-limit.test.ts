/**
 * MAX_BODY_BYTES on every JSON route, whatever the framing: a body whose length is announced
 * (Content-Length) and one sent chunked (a ReadableStream: no length, counted as it arrives) get
 * the same 413, in the gateway's shape on /api and in OpenAI's on /v1. Through the runtime, so the
 * worker sees the framing a network client would send.
 */
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { gateway, scenario, upstreamRequests } from './helpers'
import { rejection, sdk } from './openai-api-helpers'

/** The default MAX_BODY_BYTES (the suite's bindings leave it unset). */
const LIMIT = 262_144
const encoder = new TextEncoder()

type Framing = 'content-length' | 'chunked'
const FRAMINGS: Framing[] = ['content-length', 'chunked']

/** A JSON POST of exactly `json` (padded with trailing spaces to `size` bytes when given). */
function post(json: string, framing: Framing, size = json.length): RequestInit {
  const bytes = encoder.encode(json.padEnd(size, ' '))
  if (framing === 'content-length') {
    return { method: 'POST', headers: { 'content-type': 'application/json' }, body: bytes }
  }
  // 16 KiB at a time, so the limit is crossed in the middle of the stream.
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += 16_384) controller.enqueue(bytes.slice(at, at + 16_384))
      controller.close()
    },
  })
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit
}

const oversize = (framing: Framing) => post(JSON.stringify({ user_input: 'Hi' }), framing, LIMIT + 1)

describe('a body over MAX_BODY_BYTES', () => {
  for (const path of ['/api/stream/chat', '/api/flows/ask']) {
    for (const framing of FRAMINGS) {
      it(`${path}, ${framing}: 413 naming body, the limit and MAX_BODY_BYTES`, async () => {
        const response = await gateway(path, oversize(framing))
        expect(response.status).toBe(413)
        expect(response.headers.get('content-type')).toMatch(/^application\/json/)
        const message = `must be at most ${LIMIT} bytes (MAX_BODY_BYTES)`
        expect(await response.json()).toEqual({ error: `body: ${message}`, issues: [{ field: 'body', message }] })
      })
    }
  }

  for (const framing of FRAMINGS) {
    it(`/v1/chat/completions, ${framing}: 413 in OpenAI's shape, with the request id`, async () => {
      const response = await gateway('/v1/chat/completions', oversize(framing))
      expect(response.status).toBe(413)
      expect(response.headers.get('x-should-retry')).toBe('false')
      const requestId = response.headers.get('x-request-id')
      expect(requestId).toBeTruthy()
      expect(await response.json()).toEqual({
        error: {
          message: `The request body must be at most ${LIMIT} bytes (MAX_BODY_BYTES).`,
          type: 'invalid_request_error',
          param: null,
          code: 'request_too_large',
        },
        request_id: requestId,
      })
    })
  }

  it('/v1/chat/completions: the openai SDK raises an APIError with status 413', async () => {
    const error = await rejection(
      sdk().chat.completions.create({
        model: 'gpt-4.1-mini',
        messages: [{ role: 'user', content: 'x'.repeat(LIMIT) }],
      }),
    )
    expect(error).toBeInstanceOf(OpenAI.APIError)
    expect(error).toMatchObject({ status: 413, code: 'request_too_large' })
  })
})

describe('a body of exactly MAX_BODY_BYTES', () => {
  for (const framing of FRAMINGS) {
    it(`${framing}: is read whole and answered`, async () => {
      const model = await scenario({ fixture: 'openai-chat-basic.sse' })
      const json = JSON.stringify({ user_input: 'Hi', provider: 'openai', model })
      const response = await gateway('/api/flows/ask', post(json, framing, LIMIT))
      expect(response.status).toBe(200)
      expect(await response.json()).toMatchObject({ provider: 'openai', finish_reason: 'stop' })
      expect((await upstreamRequests(model))[0]?.body).toMatchObject({ messages: [{ role: 'user', content: 'Hi' }] })
    })
  }
})

it('/openapi.json documents the 413 of each route with a JSON body', async () => {
  const doc = (await (await gateway('/openapi.json')).json()) as {
    paths: Record<string, { post: { responses: Record<string, { description: string }> } }>
  }
  for (const path of ['/api/stream/chat', '/api/flows/ask', '/v1/chat/completions']) {
    expect(doc.paths[path]?.post.responses['413']?.description, path).toMatch(/MAX_BODY_BYTES.*chunked/)
  }
})
