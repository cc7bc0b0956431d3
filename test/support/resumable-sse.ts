/**
 * A small stand-in for issue 10's resumable streams, for testing clients (streamChat(), the
 * test page) before and apart from the gateway's own implementation: every data event has an
 * `id:` line (`<stream id>:<n>`), the response has `X-Stream-Id`, the stream opens with
 * `retry:`; a request carrying `Last-Event-ID` (any route) or `GET /api/streams/{id}` gets the
 * events after that id, 204 when there is nothing left; `DELETE /api/streams/{id}` ends it with
 * `finish_reason: "cancelled"`. A script can cut the connection mid-event after k events.
 *
 * @example
 * const streams = createResumableStreams()
 * // in a Node http handler:
 * if (streams.handle(req, res, url)) return
 * streams.start(res, { chunks: ['Xin ', 'chào'], done: { provider: 'mock' }, dropAfter: [1] })
 */
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'

export interface ResumableScript {
  chunks: string[]
  /** Fields of the closing event besides `chunk` and `done`. */
  done?: Record<string, unknown>
  /** Connection i (0 = the first) is cut after dropAfter[i] events, in the middle of the next one. */
  dropAfter?: number[]
  delayMs?: number
  /** Forget the stream when its first connection is cut (an expired stream): the reconnect gets 204. */
  forgetAfterDrop?: boolean
  /** Put `stream_id` on the first data event (what EventSource readers need for DELETE). */
  streamIdInFirstEvent?: boolean
}

export interface ResumableStream {
  id: string
  events: string[]
  connections: number
  cancelled: boolean
  listeners: Set<ServerResponse>
  /** The Last-Event-ID of every reconnect, in order. */
  resumedFrom: string[]
  deleted: boolean
}

export const sseHeaders = (id: string, cors: Record<string, string>) => ({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-stream-id': id,
  ...cors,
})

export const RESUMABLE_CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
  'access-control-allow-headers': 'content-type, accept, last-event-id',
  'access-control-expose-headers': 'x-stream-id',
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function eventBytes(stream: ResumableStream, index: number): Buffer {
  return Buffer.from(`id: ${stream.id}:${index + 1}\ndata: ${stream.events[index]}\n\n`, 'utf8')
}

export function createResumableStreams(cors: Record<string, string> = RESUMABLE_CORS) {
  const streams = new Map<string, ResumableStream & { script: ResumableScript }>()
  let generations = 0

  async function serve(res: ServerResponse, stream: ResumableStream & { script: ResumableScript }, from: number) {
    const connection = stream.connections++
    const dropAfter = stream.script.dropAfter?.[connection]
    res.writeHead(200, sseHeaders(stream.id, cors))
    res.write(': open\n\nretry: 50\n\n')
    res.socket?.setNoDelay(true)
    stream.listeners.add(res)
    res.on('close', () => stream.listeners.delete(res))
    let sent = 0
    for (let i = from; i < stream.events.length; i++) {
      if (res.destroyed || stream.cancelled) return
      const bytes = eventBytes(stream, i)
      if (dropAfter !== undefined && sent === dropAfter) {
        res.write(bytes.subarray(0, Math.floor(bytes.length / 2))) // half an event, then the cut
        await sleep(20)
        res.socket?.destroy()
        if (stream.script.forgetAfterDrop) streams.delete(stream.id)
        return
      }
      // Two writes split inside the first multi-byte character, if any: the client must join them.
      const split = bytes.findIndex((b) => b >= 0xc0) + 1 || bytes.length >> 1
      res.write(bytes.subarray(0, split))
      await sleep(5)
      res.write(bytes.subarray(split))
      sent++
      await sleep(stream.script.delayMs ?? 20)
    }
    if (!res.destroyed && !stream.cancelled) res.end()
  }

  return {
    streams: () => [...streams.values()],
    /** How many answers were started (a resume must not start one). */
    generations: () => generations,
    start(res: ServerResponse, script: ResumableScript): ResumableStream {
      generations++
      const id = randomBytes(16).toString('hex')
      const events = script.chunks.map((chunk, i) =>
        JSON.stringify(
          i === 0 && script.streamIdInFirstEvent ? { chunk, done: false, stream_id: id } : { chunk, done: false },
        ),
      )
      events.push(JSON.stringify({ chunk: '', done: true, ...script.done }))
      const stream = {
        id,
        events,
        connections: 0,
        cancelled: false,
        listeners: new Set<ServerResponse>(),
        resumedFrom: [],
        deleted: false,
        script,
      }
      streams.set(id, stream)
      void serve(res, stream, 0)
      return stream
    },
    /**
     * Answers resume requests (a `Last-Event-ID` header on any stream route, `GET /api/streams/{id}`)
     * and `DELETE /api/streams/{id}`; returns false for anything else.
     */
    handle(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
      const byPath = /^\/api\/streams\/([^/]+)$/.exec(url.pathname)
      if (byPath && req.method === 'DELETE') {
        const stream = streams.get(byPath[1]!)
        if (!stream) {
          res.writeHead(404, { 'content-type': 'application/json', ...cors }).end('{"error":"stream: not found"}')
          return true
        }
        stream.deleted = true
        stream.cancelled = true
        const closing = `data: ${JSON.stringify({ chunk: '', done: true, finish_reason: 'cancelled' })}\n\n`
        for (const listener of stream.listeners) listener.end(closing)
        res.writeHead(204, cors).end()
        return true
      }
      const lastEventId =
        (req.headers['last-event-id'] as string | undefined) ?? url.searchParams.get('last_event_id') ?? ''
      if (!byPath && !lastEventId) return false
      if (byPath && req.method !== 'GET') return false
      const [idPart, nPart] = lastEventId.split(':')
      const stream = streams.get(byPath ? byPath[1]! : idPart!)
      const from = Number(nPart ?? 0)
      if (!stream || stream.cancelled || !Number.isInteger(from) || from >= stream.events.length) {
        if (byPath && !stream)
          res.writeHead(404, { 'content-type': 'application/json', ...cors }).end('{"error":"stream: not found"}')
        else res.writeHead(204, cors).end()
        return true
      }
      stream.resumedFrom.push(lastEventId)
      void serve(res, stream, from)
      return true
    },
  }
}

export type ResumableStreams = ReturnType<typeof createResumableStreams>
