/**
 * The provider emulator: one local HTTP server that answers like the OpenAI Chat Completions and
 * Responses APIs and the Gemini API, plus `/__emulator/*` control endpoints (request log, expected answers).
 *
 * @example
 * const emu = await startEmulator()            // any free port on 127.0.0.1
 * const openai = new OpenAI({ apiKey: 'k', baseURL: `${emu.url}/v1` })
 * emu.requests()                               // what the emulator saw
 * await emu.close()
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { expectedAnswer, expectedChunks, type Provider } from './answer.ts'
import { AttemptCounter } from './attempts.ts'
import { Exchange } from './exchange.ts'
import { handleGemini } from './gemini.ts'
import { RequestLog, type RequestLogEntry } from './log.ts'
import { handleOpenAI } from './openai.ts'
import { PieceTimes } from './piece-times.ts'
import { handleResponses } from './responses.ts'
import type { Scenario } from './scenario.ts'

export type { RequestLogEntry } from './log.ts'
export type { PieceRecord } from './piece-times.ts'
export type { Scenario } from './scenario.ts'
export { expectedAnswer, expectedChunks, expectedPrefix, expectedRefusal, thoughtTexts } from './answer.ts'
export { emulatorSignature, expectedFunctionCall, toolResultPrompt } from './tools.ts'

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number
  /** Default 127.0.0.1. */
  host?: string
  /** Controls applied to every request before header/model/prompt controls (e.g. `{ delay: 30 }`). */
  defaults?: Scenario
  /** How long an idle keep-alive connection stays open (default 5000 ms, Node's default). */
  keepAliveTimeoutMs?: number
  /** Pending connections the listening socket queues (default 511, Node's; the kernel caps it at somaxconn). */
  backlog?: number
  /** Record when each content piece was written, by prompt (`GET /__emulator/piece-times`); off by default. */
  recordPieceTimes?: boolean
}

export interface Emulator {
  url: string
  port: number
  requests(): RequestLogEntry[]
  /** Clears the request log and the per-prompt request counts of `fail=N`. */
  clearRequests(): void
  /** Resolves with the first logged request matching `predicate`, waiting up to `timeoutMs`. */
  waitForRequest(predicate: (e: RequestLogEntry) => boolean, timeoutMs?: number): Promise<RequestLogEntry>
  close(): Promise<void>
}

const REDACT = new Set(['authorization', 'x-goog-api-key'])

function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue
    out[k] = REDACT.has(k) ? '***' : Array.isArray(v) ? v.join(', ') : v
  }
  return out
}

function keyPresent(req: IncomingMessage, url: URL): boolean {
  const bearer = /^Bearer\s+\S/i.test(req.headers.authorization ?? '')
  const goog = typeof req.headers['x-goog-api-key'] === 'string' && req.headers['x-goog-api-key'].trim() !== ''
  return bearer || goog || (url.searchParams.get('key') ?? '').trim() !== ''
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = `${JSON.stringify(value, null, 2)}\n`
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
  res.end(body)
}

interface State {
  log: RequestLog
  attempts: AttemptCounter
  pieceTimes: PieceTimes | undefined
}

function control(req: IncomingMessage, res: ServerResponse, url: URL, { log, attempts, pieceTimes }: State): void {
  const path = url.pathname
  if (path === '/__emulator/piece-times' && (req.method === 'GET' || req.method === 'DELETE')) {
    if (!pieceTimes) return json(res, 404, { error: 'piece times are off: start the emulator with --piece-times' })
    if (req.method === 'GET') return json(res, 200, pieceTimes.list())
    pieceTimes.clear()
    res.writeHead(204).end()
    return
  }
  if (path === '/__emulator/requests' && req.method === 'GET') return json(res, 200, log.list())
  if (path === '/__emulator/requests' && req.method === 'DELETE') {
    log.clear()
    attempts.clear()
    res.writeHead(204).end()
    return
  }
  if (path === '/__emulator/expected' && req.method === 'GET') {
    const prompt = url.searchParams.get('prompt') ?? ''
    const provider = (url.searchParams.get('provider') === 'gemini' ? 'gemini' : 'openai') as Provider
    return json(res, 200, {
      provider,
      answer: expectedAnswer(prompt, { provider }),
      chunks: expectedChunks(prompt, { provider }),
    })
  }
  if (path === '/__emulator/health' || path === '/') {
    return json(res, 200, {
      emulator: 'llm-sse-gateway provider emulator',
      openai: ['/v1/chat/completions', '/v1/responses'],
      gemini: ['/v1beta/models/{model}:streamGenerateContent?alt=sse', '/v1/models/{model}:generateContent'],
      log: '/__emulator/requests',
    })
  }
  json(res, 404, { error: `unknown emulator path ${req.method} ${path}` })
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1'
  const defaults = options.defaults ?? {}
  const log = new RequestLog()
  const attempts = new AttemptCounter()
  const pieceTimes = options.recordPieceTimes ? new PieceTimes() : undefined
  const state: State = { log, attempts, pieceTimes }
  const sockets = new Set<Socket>()

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator')
    if (url.pathname === '/' || url.pathname.startsWith('/__emulator/')) return control(req, res, url, state)
    const query: Record<string, string> = {}
    for (const [k, v] of url.searchParams) query[k] = k === 'key' ? '***' : v
    const entry = log.create({
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      headers: headerRecord(req),
      keyPresent: keyPresent(req, url),
    })
    const ex = new Exchange(req, res, entry, log, pieceTimes)
    const gemini = /^\/v1(beta|alpha)?\/models\//.test(url.pathname) || /^\/v1(beta|alpha)\//.test(url.pathname)
    const responses = url.pathname.replace(/\/+$/, '') === '/v1/responses'
    const handler = gemini ? handleGemini : responses ? handleResponses : handleOpenAI
    handler(ex, url, { defaults, attempts }).catch((err: unknown) => {
      // An emulator bug: answer 500 plainly so it is never mistaken for a provider reply.
      console.error('[emulator] handler error:', err)
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' })
        res.end(`emulator internal error: ${String(err)}`)
      } else res.destroy()
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 5000

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ port: options.port ?? 0, host, backlog: options.backlog ?? 511 }, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const addr = server.address()
  const port = typeof addr === 'object' && addr ? addr.port : 0
  const urlHost = host.includes(':') ? `[${host}]` : host

  let closing: Promise<void> | undefined
  return {
    url: `http://${urlHost}:${port}`,
    port,
    requests: () => log.list(),
    clearRequests: () => {
      log.clear()
      attempts.clear()
    },
    waitForRequest: (predicate, timeoutMs) => log.waitFor(predicate, timeoutMs),
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
        server.closeAllConnections()
      })
      return closing
    },
  }
}
