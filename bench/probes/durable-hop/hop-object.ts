/**
 * The probe's Durable Object (SQLite-backed class HopObject): one path per stage of the object path,
 * each doing only that stage's work, so the worker-side timings isolate it.
 *
 *   GET  /hop          200 "ok" at once (the bare hop)
 *   GET  /put          one ~1 KB `storage.put`, then 200 "ok"
 *   POST /start        parses a JSON start request (start-body.ts), then 200 "ok"
 *   GET  /stream       50 events, one per tick
 *   GET  /stream-log   the same, each event formatted with an id line and kept in memory (as StreamLog)
 *   POST /copy         keeps a batch of events the worker sends (one POST per batch)
 *   GET  /ws           a WebSocket whose messages are batches of events, kept likewise
 *   GET  /copied       {"events": n}: how many copied events it holds
 *
 * @example
 * await env.HOP.get(env.HOP.idFromName(id)).fetch('https://hop.internal/put')
 */
import { SSE_HEADERS, countEvents, loggedEvent, pacedEvents, plainEvent } from './events.ts'
import type { StartBody } from './start-body.ts'
import { type ObjectState, upgradeResponse, webSocketPair } from './types.ts'

const RECORD = { kind: 'probe', text: 'x'.repeat(1000) }

export class HopObject {
  private readonly ctx: ObjectState
  private readonly log: Uint8Array[] = []
  private readonly copied: Uint8Array[] = []

  constructor(ctx: ObjectState, _env: unknown) {
    this.ctx = ctx
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url)
    const id = url.searchParams.get('id') ?? ''
    const events = Number(url.searchParams.get('events') ?? 50)
    switch (url.pathname) {
      case '/hop':
        return new Response('ok')
      case '/put':
        await this.ctx.storage.put('record', RECORD)
        return new Response('ok')
      case '/start': {
        const start = (await request.json()) as StartBody
        return new Response(start.streamId === id && start.plan.request.messages.length > 0 ? 'ok' : 'bad start')
      }
      case '/stream':
        return new Response(pacedEvents(events, plainEvent), { headers: SSE_HEADERS })
      case '/stream-log': {
        const make = (n: number) => {
          const bytes = loggedEvent(id, n)
          this.log.push(bytes)
          return bytes
        }
        return new Response(pacedEvents(events, make), { headers: SSE_HEADERS })
      }
      case '/copy':
        this.copied.push(new Uint8Array(await request.arrayBuffer()))
        return new Response(null, { status: 204 })
      case '/ws':
        return this.acceptCopies()
      case '/copied':
        return Response.json({ events: countEvents(this.copied) })
      default:
        return new Response('no such path', { status: 404 })
    }
  }

  private acceptCopies(): Response {
    const [peer, own] = webSocketPair()
    // The compatibility date's standard default is Blob; an ArrayBuffer is kept as it is.
    own.binaryType = 'arraybuffer'
    own.accept()
    own.addEventListener('message', ({ data }) => {
      this.copied.push(typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data))
    })
    own.addEventListener('close', () => own.close(1000, 'done'))
    return upgradeResponse(peer)
  }
}
