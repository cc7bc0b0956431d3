/**
 * HEAD on the API: a 405 whose `Allow` lists what the path really serves, and no upstream answer.
 * Each listed method is checked against the app itself: it reaches a route, and the methods left
 * out reach the app's 404.
 */
import { describe, expect, it } from 'vitest'
import { gateway, scenario, upstreamRequests } from './helpers'

const STREAM_ID = 'x3Q0bC9vZ-1kR2_wT8yNa4Lm'
const PATHS: [string, string][] = [
  ['/api/stream/chat', 'POST, OPTIONS'],
  ['/api/stream/chat-get', 'GET, OPTIONS'],
  ['/api/stream/sse?count=1&interval_ms=0', 'GET, OPTIONS'],
  ['/api/flows/ask', 'POST, OPTIONS'],
  [`/api/streams/${STREAM_ID}`, 'GET, DELETE, OPTIONS'],
]

/** True when `method` on `path` reaches a route (its own answer, a 404 for an unknown stream included). */
async function served(method: string, path: string): Promise<boolean> {
  const response = await gateway(path, { method })
  const body = await response.text()
  return !(response.status === 404 && body.startsWith('{"error":"not found:'))
}

describe('HEAD on an API route', () => {
  it.each(PATHS)('%s: 405 with Allow: %s, which are the methods the path serves', async (path, allow) => {
    const response = await gateway(path, { method: 'HEAD' })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe(allow)
    const listed = allow.split(', ').filter((method) => method !== 'OPTIONS')
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      expect(await served(method, path), `${method} ${path}`).toBe(listed.includes(method))
    }
  })

  it('starts no upstream answer', async () => {
    const model = await scenario({ fixture: 'gemini-basic.sse' })
    const response = await gateway(`/api/stream/chat-get?user_input=Hi&provider=gemini&model=${model}`, {
      method: 'HEAD',
    })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET, OPTIONS')
    expect(await upstreamRequests(model)).toEqual([])
  })

  it('on a path no route serves: the 404 of any method', async () => {
    const response = await gateway('/api/nope', { method: 'HEAD' })
    expect(response.status).toBe(404)
    expect(response.headers.get('allow')).toBeNull()
  })
})
