/**
 * A scripted stand-in for the gateway's HTTP API, used by page.test.ts to test the page
 * alone (SSE parsing edge cases, XSS, stop, 400s) independently of the real gateway.
 * The real gateway + emulator are exercised by gateway.test.ts.
 *
 * The script is chosen by the question text: `crlf`, `xss`, `slow`, `error`, `nodone`,
 * `notjson`; resumable streams (ids, X-Stream-Id, Last-Event-ID, DELETE: see
 * test/support/resumable-sse.ts): `resume` (cut after 2 events), `resume twice` (cut after 1,
 * then after 1 more), `expire` (cut, then forgotten: the resume gets 204), `endless` (for
 * Stop); anything else is echoed back in three chunks.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createResumableStreams, type ResumableScript } from '../support/resumable-sse.ts'
import { startStaticServer, type RunningServer } from './helpers.ts'

export interface MockRequest {
  method: string
  path: string
  userInput: string
  provider: string
  model: string
  body: unknown
  origin: string | null
  /** `messages` from the JSON body, or the JSON-encoded `messages` query parameter. */
  messages: unknown
  /** True when the client closed the connection before the script ended. */
  clientClosedEarly: boolean
  finished: boolean
}

/** The frames of the `crlf` script: CRLF, LF and CR line ends, pings, writes split inside a CRLF and inside UTF-8 characters. */
export function crlfWrites(): Buffer[] {
  const utf8 = Buffer.from('data: {"chunk":" ắ 你好 🚀","done":false}\r\n\r\n', 'utf8')
  const a = utf8.indexOf(Buffer.from('ắ')) + 1 // inside the 3-byte ắ
  const b = utf8.indexOf(Buffer.from('🚀')) + 2 // inside the 4-byte 🚀
  return [
    Buffer.from(': ping\r\n\r\n'),
    Buffer.from('data: {"chunk":"Xin ch'),
    Buffer.from('ào","done":false}\r\n\r\n', 'utf8'),
    utf8.subarray(0, a),
    utf8.subarray(a, b),
    utf8.subarray(b),
    Buffer.from('data: {"chunk":"A","done":false}\r'),
    Buffer.from('\n\r\n'),
    Buffer.from(':ping\n\n'),
    Buffer.from('data: {"chunk":"B\\n",\ndata: "done":false}\n\n'),
    Buffer.from('data: {"chunk":"C","done":false}\r\r'),
    Buffer.from('event: message\nid: 7\ndata:{"chunk":"D <tag>","done":false}\n\n'),
    Buffer.from(
      'data: {"chunk":"","done":true,"provider":"mock","model":"mock-1","finish_reason":"stop","usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}\r\n\r\n',
    ),
  ]
}
export const CRLF_TEXT = 'Xin chào ắ 你好 🚀AB\nCD <tag>'

export const XSS_CHUNKS = ['<img src=x onerror="window.__xss=1">', ' <b>bold</b> &amp; <script>window.__xss=2</script>']
export const ERROR_MESSAGE = 'Upstream provider failed: HTTP 429 (rate limited, try again later)'

export function echoChunks(input: string): string[] {
  return ['Echo: ', input, ' ✓']
}

export const RESUME_CHUNKS = ['Part one. ', 'Part two: ắ 你好 🚀. ', 'Part three. ', 'Part four.']

/** The resumable scripts, by a word of the question (checked in this order). */
function resumableScript(question: string): ResumableScript | undefined {
  const base = { chunks: RESUME_CHUNKS, delayMs: 80, streamIdInFirstEvent: true }
  if (question.includes('resume twice')) return { ...base, dropAfter: [1, 1] }
  if (question.includes('resume')) return { ...base, dropAfter: [2] }
  if (question.includes('expire')) return { ...base, dropAfter: [2], forgetAfterDrop: true }
  if (question.includes('endless'))
    return { ...base, chunks: Array.from({ length: 200 }, (_, i) => `tick ${i + 1} `), delayMs: 100 }
  return undefined
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function cors(): Record<string, string> {
  return {
    'access-control-allow-origin': '*',
    'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
    'access-control-allow-headers': 'content-type, accept, last-event-id',
    'access-control-expose-headers': 'x-stream-id',
    'access-control-max-age': '600',
  }
}

function frame(data: object): string {
  return `data: ${JSON.stringify(data)}\n\n`
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = []
  for await (const part of req) parts.push(part as Buffer)
  return Buffer.concat(parts).toString('utf8')
}

export interface MockGateway extends RunningServer {
  /** The requests that started an answer (resumes and DELETEs are in `streams`). */
  requests(): MockRequest[]
  clear(): void
  streams: ReturnType<typeof createResumableStreams>
}

export async function startMockGateway(): Promise<MockGateway> {
  const log: MockRequest[] = []
  const streams = createResumableStreams(cors())

  const server = await startStaticServer({
    handler: async (req: IncomingMessage, res: ServerResponse, url: URL) => {
      const path = url.pathname
      if (req.method === 'OPTIONS') {
        res.writeHead(204, cors())
        res.end()
        return true
      }
      if (path === '/health') {
        res.writeHead(200, { 'content-type': 'application/json', ...cors() })
        res.end(
          JSON.stringify({
            status: 'ok',
            providers: {
              openai: { configured: true, model: 'gpt-mock' },
              gemini: { configured: false, model: 'gemini-mock' },
            },
            default_provider: 'openai',
          }),
        )
        return true
      }
      if (streams.handle(req, res, url)) return true
      const isGet = path === '/api/stream/chat-get' && req.method === 'GET'
      const isPost = path === '/api/stream/chat' && req.method === 'POST'
      if (!isGet && !isPost) return false

      let input: Record<string, unknown>
      if (isGet) input = Object.fromEntries(url.searchParams)
      else {
        try {
          input = JSON.parse(await readBody(req)) as Record<string, unknown>
        } catch {
          res.writeHead(400, { 'content-type': 'application/json', ...cors() })
          res.end(JSON.stringify({ error: 'body: invalid JSON', issues: [{ field: 'body', message: 'invalid JSON' }] }))
          return true
        }
      }
      const entry: MockRequest = {
        method: req.method ?? '',
        path,
        userInput: String(input.user_input ?? ''),
        provider: String(input.provider ?? ''),
        model: String(input.model ?? ''),
        body: input,
        origin: (req.headers.origin as string | undefined) ?? null,
        messages: isGet && typeof input.messages === 'string' ? JSON.parse(input.messages) : input.messages,
        clientClosedEarly: false,
        finished: false,
      }
      log.push(entry)

      if (!entry.userInput.trim()) {
        res.writeHead(400, { 'content-type': 'application/json', ...cors() })
        res.end(
          JSON.stringify({
            error: 'user_input: must not be empty',
            issues: [{ field: 'user_input', message: 'must not be empty' }],
          }),
        )
        entry.finished = true
        return true
      }
      if (entry.provider !== 'gemini' && entry.provider !== 'openai') {
        res.writeHead(400, { 'content-type': 'application/json', ...cors() })
        res.end(
          JSON.stringify({
            error: "provider: must be 'gemini' or 'openai'",
            issues: [{ field: 'provider', message: "must be 'gemini' or 'openai'" }],
          }),
        )
        entry.finished = true
        return true
      }

      const resumable = resumableScript(entry.userInput)
      if (resumable) {
        streams.start(res, {
          ...resumable,
          done: { provider: entry.provider, model: entry.model || 'mock-1', finish_reason: 'stop' },
        })
        entry.finished = true
        return true
      }
      res.on('close', () => {
        if (!entry.finished) entry.clientClosedEarly = true
      })
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        ...cors(),
      })
      res.flushHeaders()
      res.socket?.setNoDelay(true)
      const write = async (data: string | Buffer, delay = 0) => {
        if (res.destroyed || res.writableEnded) return false
        res.write(data)
        if (delay) await sleep(delay)
        return !res.destroyed
      }
      const q = entry.userInput
      const done = {
        chunk: '',
        done: true,
        provider: entry.provider,
        model: entry.model || 'mock-1',
        finish_reason: 'stop',
      }

      if (q.includes('crlf')) {
        for (const w of crlfWrites()) if (!(await write(w, 30))) return true
      } else if (q.includes('xss')) {
        for (const c of XSS_CHUNKS) if (!(await write(frame({ chunk: c, done: false }), 30))) return true
        await write(frame(done))
      } else if (q.includes('slow')) {
        for (let i = 1; i <= 200; i++) if (!(await write(frame({ chunk: `tick ${i} `, done: false }), 100))) return true
        await write(frame(done))
      } else if (q.includes('error')) {
        await write(frame({ chunk: 'partial ', done: false }), 50)
        await write(frame({ error: ERROR_MESSAGE, done: true }))
      } else if (q.includes('nodone')) {
        await write(frame({ chunk: 'half', done: false }), 50)
      } else if (q.includes('notjson')) {
        await write('data: hello\n\n', 50)
      } else {
        for (const c of echoChunks(q)) if (!(await write(frame({ chunk: c, done: false }), 60))) return true
        await write(frame(done))
      }
      entry.finished = true
      res.end()
      return true
    },
  })

  return {
    ...server,
    streams,
    requests: () => log.map((e) => ({ ...e })),
    clear: () => {
      log.length = 0
    },
  }
}
