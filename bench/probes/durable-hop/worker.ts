/**
 * The probe's worker (`wrangler dev --config bench/probes/durable-hop/wrangler.jsonc`; run.ts drives it).
 * `/base` is the baseline: the worker answers the SSE stream itself. The object paths route to one
 * HopObject per `id` (`idFromName` + `get` + `stub.fetch`) and return its answer as it is. The copy
 * paths answer the stream from the worker and copy the events to the object (copier.ts).
 *
 *   GET /base?events=n                              n events from the worker itself
 *   GET /hop|/put|/stream|/stream-log|/copied?id=…  the object's answer (hop-object.ts)
 *   GET /start?id=…                                 the worker POSTs a ~2 KB start request to the object
 *   GET /copy-ws|/copy-ws-lazy|/copy-post?id=…&events=n&batch=b
 *                                                   the worker's own stream, copied in batches of b
 *
 * @example
 * curl 'http://127.0.0.1:8787/stream?id=s1&events=50'
 */
import { batchedCopy, postSender, socketSender } from './copier.ts'
import { SSE_HEADERS, loggedEvent, pacedEvents, plainEvent } from './events.ts'
import { startBody } from './start-body.ts'
import type { HopEnv, WorkerContext } from './types.ts'

export { HopObject } from './hop-object.ts'

const ORIGIN = 'https://hop.internal'
const FORWARDED = new Set(['/hop', '/put', '/stream', '/stream-log', '/copied'])

export default {
  async fetch(request: Request, env: HopEnv, ctx: WorkerContext): Promise<Response> {
    const url = new URL(request.url)
    const { pathname, search } = url
    const id = url.searchParams.get('id') ?? ''
    const events = Number(url.searchParams.get('events') ?? 50)
    if (pathname === '/__ready') return new Response('ok')
    if (pathname === '/base') return new Response(pacedEvents(events, plainEvent), { headers: SSE_HEADERS })
    if (!id) return new Response('id is required', { status: 400 })
    const stub = env.HOP.get(env.HOP.idFromName(id))
    if (FORWARDED.has(pathname)) return stub.fetch(`${ORIGIN}${pathname}${search}`)
    if (pathname === '/start') {
      return stub.fetch(`${ORIGIN}/start?id=${id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: startBody(id),
      })
    }
    if (pathname.startsWith('/copy-')) {
      const sender = pathname === '/copy-post' ? postSender(stub) : socketSender(stub, pathname === '/copy-ws-lazy')
      const copy = batchedCopy(Number(url.searchParams.get('batch') ?? 10), sender)
      const make = (n: number) => {
        const bytes = loggedEvent(id, n)
        copy.add(bytes)
        return bytes
      }
      // Registered now, while the request is live; settled once the last batch was handed over.
      const { promise: copied, resolve } = Promise.withResolvers<void>()
      ctx.waitUntil(copied)
      const body = pacedEvents(events, make, () => resolve(copy.end()))
      return new Response(body, { headers: SSE_HEADERS })
    }
    return new Response('no such path', { status: 404 })
  },
}
