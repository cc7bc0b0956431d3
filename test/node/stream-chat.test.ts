/**
 * streamChat() in Node: the SSE parser at every split point, resume after dropped connections
 * against a local resumable SSE server (test/support/resumable-sse.ts), errors, abort.
 * The real gateway + emulator path is in stream-chat-gateway.test.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSseParser, streamChat, StreamChatError, type StreamChatEvent } from '../../src/client'
import { createResumableStreams, RESUMABLE_CORS } from '../support/resumable-sse.ts'

const CHUNKS = ['Xin chào', ' — ắ 你好 🚀', ' line\nbreak', ' "quoted"', ' end']
const DONE = {
  provider: 'mock',
  model: 'mock-1',
  finish_reason: 'stop',
  usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 },
}

type Script = (req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>) => void
let server: Server
let baseUrl: string
const streams = createResumableStreams()
let script: Script

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (streams.handle(req, res, url)) return
    const parts: Buffer[] = []
    for await (const part of req) parts.push(part as Buffer)
    script(req, res, JSON.parse(Buffer.concat(parts).toString('utf8') || '{}') as Record<string, unknown>)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

async function collect(iterator: AsyncIterable<StreamChatEvent>): Promise<StreamChatEvent[]> {
  const out: StreamChatEvent[] = []
  for await (const event of iterator) out.push(event)
  return out
}

const textOf = (events: StreamChatEvent[]) => events.map((e) => (e.type === 'text' ? e.text : '')).join('')

describe('createSseParser', () => {
  const stream =
    ': ping\r\n\r\nretry: 250\nid: a:1\r\ndata: {"chunk":"Xin chào","done":false}\r\n\r\n' +
    'data: {"chunk":"A",\ndata: "done":false}\r\r:open\n\nevent: message\nid: a:2\ndata:{"chunk":"ắ 🚀","done":false}\n\n' +
    'id\ndata: x\n\ndata: {"chunk":"","done":true}\n\ndata: never dispatched\n'

  function parse(pieces: string[]) {
    const out: string[] = []
    const retries: number[] = []
    const parser = createSseParser({
      onEvent: (e) => out.push(`${e.id}|${e.event}|${e.data}`),
      onRetry: (ms) => retries.push(ms),
    })
    for (const piece of pieces) parser.push(piece)
    parser.end()
    return { out, retries }
  }

  it('reads CRLF/LF/CR, comments, multi-line data, id and retry', () => {
    expect(parse([stream])).toEqual({
      out: [
        'a:1|message|{"chunk":"Xin chào","done":false}',
        'a:1|message|{"chunk":"A",\n"done":false}',
        'a:2|message|{"chunk":"ắ 🚀","done":false}',
        '|message|x',
        '|message|{"chunk":"","done":true}',
      ],
      retries: [250],
    })
  })

  it('gives the same events for every split point and char by char', () => {
    const whole = parse([stream])
    for (let i = 1; i < stream.length; i++)
      expect(parse([stream.slice(0, i), stream.slice(i)]), `split at ${i}`).toEqual(whole)
    expect(parse([...stream])).toEqual(whole)
  })
})

describe('streamChat against a resumable SSE server', () => {
  it('resumes twice after cuts mid-event: the whole answer once, one generation, Last-Event-ID each time', async () => {
    script = (_req, res, body) => {
      expect(body).toEqual({
        user_input: 'Hello',
        provider: 'gemini',
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hey' },
        ],
      })
      streams.start(res, { chunks: CHUNKS, done: DONE, dropAfter: [2, 1] })
    }
    const before = streams.generations()
    const opens: { streamId: string | null; resumed: boolean }[] = []
    const reconnects: { attempt: number; lastEventId: string }[] = []
    const events = await collect(
      streamChat(
        {
          user_input: 'Hello',
          provider: 'gemini',
          messages: [
            { role: 'user', content: 'Hi' },
            { role: 'assistant', content: 'Hey' },
          ],
        },
        {
          baseUrl,
          onOpen: (info) => opens.push(info),
          onReconnect: ({ attempt, lastEventId }) => reconnects.push({ attempt, lastEventId }),
        },
      ),
    )
    const stream = streams.streams().at(-1)!
    expect(streams.generations() - before).toBe(1)
    expect(textOf(events)).toBe(CHUNKS.join(''))
    expect(events.filter((e) => e.type === 'text').map((e) => e.type === 'text' && e.id)).toEqual(
      CHUNKS.map((_, i) => `${stream.id}:${i + 1}`),
    )
    expect(events.at(-1)).toEqual({ type: 'done', ...DONE })
    expect(events.filter((e) => e.type === 'done')).toHaveLength(1)
    expect(stream.resumedFrom).toEqual([`${stream.id}:2`, `${stream.id}:3`])
    expect(reconnects).toEqual([
      { attempt: 1, lastEventId: `${stream.id}:2` },
      { attempt: 2, lastEventId: `${stream.id}:3` },
    ])
    expect(opens).toEqual([
      { streamId: stream.id, resumed: false },
      { streamId: stream.id, resumed: true },
      { streamId: stream.id, resumed: true },
    ])
  })

  it('gives up after maxReconnects with a connection error, keeping what came', async () => {
    script = (_req, res) => void streams.start(res, { chunks: CHUNKS, done: DONE, dropAfter: [1, 1, 1] })
    const seen: StreamChatEvent[] = []
    const error = await (async () => {
      for await (const event of streamChat({ user_input: 'x' }, { baseUrl, maxReconnects: 2 })) seen.push(event)
    })().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StreamChatError)
    expect((error as StreamChatError).kind).toBe('connection')
    expect((error as StreamChatError).message).toMatch(/2 reconnects did not finish the stream/)
    expect(textOf(seen)).toBe(CHUNKS.slice(0, 3).join(''))
  })

  it('a resume answered 204 (finished or expired) is a connection error', async () => {
    script = (_req, res) =>
      void streams.start(res, { chunks: CHUNKS, done: DONE, dropAfter: [2], forgetAfterDrop: true })
    const error = await collect(streamChat({ user_input: 'x' }, { baseUrl, reconnectDelayMs: 0 })).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(StreamChatError)
    expect((error as StreamChatError).message).toMatch(/HTTP 204/)
  })

  it('without id: lines a drop is not resumed: the error says the stream ended early', async () => {
    let requests = 0
    script = (_req, res) => {
      requests++
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('data: {"chunk":"half","done":false}\n\ndata: {"chu')
      setTimeout(() => res.socket?.destroy(), 20)
    }
    const seen: StreamChatEvent[] = []
    const error = await (async () => {
      for await (const event of streamChat({ user_input: 'x' }, { baseUrl })) seen.push(event)
    })().catch((e: unknown) => e)
    expect((error as StreamChatError).kind).toBe('connection')
    expect((error as StreamChatError).message).toMatch(/ended before its final "done" event/)
    expect(seen).toEqual([{ type: 'text', text: 'half' }])
    expect(requests).toBe(1)
  })

  it('an error event throws StreamChatError with the message and request_id, after the text before it', async () => {
    script = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.end(
        ': ping\n\ndata: {"chunk":"partial ","done":false}\n\ndata: {"error":"openai: rate limited. Retry later.","done":true,"request_id":"req-42"}\n\n',
      )
    }
    const seen: StreamChatEvent[] = []
    const error = await (async () => {
      for await (const event of streamChat({ user_input: 'x' }, { baseUrl })) seen.push(event)
    })().catch((e: unknown) => e)
    expect(seen).toEqual([{ type: 'text', text: 'partial ' }])
    expect(error).toBeInstanceOf(StreamChatError)
    expect(error).toMatchObject({ kind: 'event', message: 'openai: rate limited. Retry later.', requestId: 'req-42' })
  })

  it('a 400 throws with the status and the issues naming the field', async () => {
    script = (_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json', 'x-request-id': 'req-7' })
      res.end(
        JSON.stringify({
          error: 'user_input: must not be empty',
          issues: [{ field: 'user_input', message: 'must not be empty' }],
        }),
      )
    }
    const error = await collect(streamChat({ user_input: ' ' }, { baseUrl })).catch((e: unknown) => e)
    expect(error).toMatchObject({
      kind: 'http',
      status: 400,
      requestId: 'req-7',
      message: 'HTTP 400: user_input: must not be empty',
      issues: [{ field: 'user_input', message: 'must not be empty' }],
    })
  })

  it('data that is not JSON, or a non-SSE answer, is a protocol error', async () => {
    script = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.end('data: [DONE]\n\n')
    }
    expect(await collect(streamChat({ user_input: 'x' }, { baseUrl })).catch((e: unknown) => e)).toMatchObject({
      kind: 'protocol',
    })
    script = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('<html>')
    }
    expect(await collect(streamChat({ user_input: 'x' }, { baseUrl })).catch((e: unknown) => e)).toMatchObject({
      kind: 'protocol',
      message: 'expected text/event-stream, got text/html (HTTP 200)',
    })
  })

  it('an unreachable gateway is a connection error naming it', async () => {
    const error = await collect(streamChat({ user_input: 'x' }, { baseUrl: 'http://127.0.0.1:9' })).catch(
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ kind: 'connection' })
    expect((error as Error).message).toMatch(/could not connect to http:\/\/127\.0\.0\.1:9/)
  })

  it('AbortSignal stops reading, closes the connection and throws the reason', async () => {
    let closed: Promise<void> = Promise.resolve()
    script = (_req, res) => {
      closed = new Promise((resolve) => res.on('close', () => resolve()))
      streams.start(res, { chunks: Array.from({ length: 100 }, (_, i) => `tick ${i} `), delayMs: 30 })
    }
    const controller = new AbortController()
    const seen: string[] = []
    const error = await (async () => {
      for await (const event of streamChat({ user_input: 'x' }, { baseUrl, signal: controller.signal })) {
        if (event.type === 'text') seen.push(event.text)
        if (seen.length === 3) controller.abort(new Error('stopped by the user'))
      }
    })().catch((e: unknown) => e)
    expect((error as Error).message).toBe('stopped by the user')
    expect(seen).toEqual(['tick 0 ', 'tick 1 ', 'tick 2 '])
    await closed
  })

  it('breaking out of the loop closes the connection', async () => {
    let closed: Promise<void> = Promise.resolve()
    script = (_req, res) => {
      closed = new Promise((resolve) => res.on('close', () => resolve()))
      streams.start(res, { chunks: Array.from({ length: 100 }, (_, i) => `tick ${i} `), delayMs: 30 })
    }
    for await (const event of streamChat({ user_input: 'x' }, { baseUrl })) if (event.type === 'text') break
    await closed
    expect(RESUMABLE_CORS['access-control-expose-headers']).toBe('x-stream-id')
  })
})
