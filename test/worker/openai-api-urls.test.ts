/**
 * A /v1 URL the gateway does not serve answers like OpenAI: 404 `unknown_url` in OpenAI's error
 * shape, with the request id, so the openai SDKs raise NotFoundError. The rest of the gateway keeps
 * its own `{"error":"not found: …"}`.
 */
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { gateway } from './helpers'
import { rejection, sdk } from './openai-api-helpers'

const unknownUrl = (request: string) =>
  `Unknown request URL: ${request}. Please check the URL for typos, or see this gateway's API at /docs: it serves POST /v1/chat/completions, POST /v1/responses and GET /v1/models.`

describe('unknown /v1 URLs', () => {
  it.each([
    ['POST', '/v1/embeddings'],
    ['GET', '/v1/nope'],
    ['GET', '/v1/chat/completions'],
    ['DELETE', '/v1/models'],
    ['GET', '/v1'],
  ])("%s %s: 404 unknown_url in OpenAI's shape, with the request id", async (method, path) => {
    const init: RequestInit =
      method === 'POST'
        ? { method, headers: { 'content-type': 'application/json' }, body: '{"input":"Hi"}' }
        : { method }
    const response = await gateway(path, init)
    expect(response.status).toBe(404)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    const requestId = response.headers.get('x-request-id')
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/)
    expect(await response.json()).toEqual({
      error: {
        message: unknownUrl(`${method} ${path}`),
        type: 'invalid_request_error',
        param: null,
        code: 'unknown_url',
      },
      request_id: requestId,
    })
  })

  it('the openai SDK raises NotFoundError', async () => {
    const error = await rejection(sdk().embeddings.create({ model: 'text-embedding-3-small', input: 'Hi' }))
    expect(error).toBeInstanceOf(OpenAI.NotFoundError)
    expect(error).toMatchObject({ status: 404, code: 'unknown_url', type: 'invalid_request_error' })
    expect((error as Error).message).toBe(`404 ${unknownUrl('POST /v1/embeddings')}`)
  })

  it('outside /v1 the gateway keeps its own 404', async () => {
    for (const path of ['/v1x', '/api/v1/nope']) {
      const response = await gateway(path)
      expect(response.status).toBe(404)
      expect(await response.json()).toEqual({ error: `not found: GET ${path}. The API is described at /docs.` })
    }
  })
})
