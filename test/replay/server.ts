/**
 * A fake upstream for the in-workerd tests: it replays recorded provider responses
 * (test/fixtures/, with the status and headers of index.json) over real HTTP on
 * 127.0.0.1, the way the network would deliver them, and logs what it was asked.
 *
 * A test first registers a scenario (`POST /__replay/scenarios`) and gets a model
 * name back; the gateway sends that model name upstream (OpenAI: in the JSON body;
 * Gemini: in the URL path), which selects the scenario.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url))

export interface Scenario {
  /** A file in test/fixtures/; its status and headers come from index.json unless overridden. */
  fixture?: string
  /** A literal body instead of a fixture. */
  body?: string
  status?: number
  headers?: Record<string, string>
  /** How the body is cut into writes: per event (default), every N bytes, or in one write. */
  chunking?: 'events' | 'whole' | { bytes: number }
  /** Pause between writes. */
  delayMs?: number
  /** Destroy the socket after this many writes (a dropped connection). */
  dropAfterWrites?: number
  /** Stop writing after this many writes and keep the connection open (a stall). */
  stallAfterWrites?: number
  /** Wait this long before the status line (a provider that stalls before its first byte). */
  headersDelayMs?: number
  /**
   * What the first requests for this model get instead, in order: request n (0-based) is answered with
   * the scenario merged with `firstRequests[n]`; later requests get the scenario itself. E.g. a 503, then
   * the fixture: `{ fixture, firstRequests: [{ status: 503, body: '{"error":…}' }] }`.
   */
  firstRequests?: Omit<Scenario, 'firstRequests'>[]
}

export interface LoggedRequest {
  model: string
  method: string
  path: string
  headers: Record<string, string | string[] | undefined>
  body: unknown
  /** The status we answered with (undefined while the headers are held back). */
  status?: number
  /** The client closed the connection before the reply was complete (not counting drops we made). */
  clientClosedEarly: boolean
  droppedByServer?: boolean
  closedAt?: number
  receivedAt: number
}

interface FixtureMeta {
  status: number
  headers: Record<string, string>
}

const index = JSON.parse(readFileSync(`${FIXTURES}index.json`, 'utf8')) as Record<string, FixtureMeta>

/** Splits a body after each blank line (LF or CRLF), keeping every byte. */
export function splitEvents(body: Buffer): Buffer[] {
  const pieces: Buffer[] = []
  let start = 0
  for (let i = 0; i < body.length; i++) {
    const lf = body[i] === 0x0a && body[i + 1] === 0x0a
    const crlf = body[i] === 0x0d && body[i + 1] === 0x0a && body[i + 2] === 0x0d && body[i + 3] === 0x0a
    if (lf || crlf) {
      const end = i + (lf ? 2 : 4)
      pieces.push(body.subarray(start, end))
      start = end
      i = end - 1
    }
  }
  if (start < body.length) pieces.push(body.subarray(start))
  return pieces
}

function writesFor(body: Buffer, chunking: Scenario['chunking']): Buffer[] {
  if (chunking === 'whole') return [body]
  if (typeof chunking === 'object') {
    const pieces: Buffer[] = []
    for (let i = 0; i < body.length; i += chunking.bytes) pieces.push(body.subarray(i, i + chunking.bytes))
    return pieces
  }
  return splitEvents(body)
}

function modelOf(path: string, body: unknown): string {
  const gemini = /\/models\/([^/:]+):/.exec(path)
  if (gemini?.[1]) return decodeURIComponent(gemini[1])
  if (typeof body === 'object' && body !== null && 'model' in body) return String((body as { model: unknown }).model)
  return ''
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export interface ReplayServer {
  url: string
  close(): Promise<void>
}

export async function startReplayServer(port = 0): Promise<ReplayServer> {
  const scenarios = new Map<string, Scenario>()
  const log: LoggedRequest[] = []
  let nextId = 1

  /** The scenario for the `nth` request (0-based) of a model: its `firstRequests[nth]` override, if any. */
  function scenarioFor(model: string, nth: number): Scenario | undefined {
    const scenario = scenarios.get(model)
    const override = scenario?.firstRequests?.[nth]
    return scenario && override ? { ...scenario, ...override } : scenario
  }

  async function replay(request: IncomingMessage, response: ServerResponse, entry: LoggedRequest): Promise<void> {
    const nth = log.filter((logged) => logged.model === entry.model).length - 1
    const scenario = scenarioFor(entry.model, nth)
    if (!scenario) {
      response.writeHead(404, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ error: { message: `replay: no scenario for model ${entry.model}`, code: 404 } }))
      return
    }
    if (scenario.headersDelayMs) {
      await sleep(scenario.headersDelayMs)
      if (response.destroyed) return
    }
    const meta = scenario.fixture ? index[scenario.fixture] : undefined
    const body = scenario.body !== undefined ? Buffer.from(scenario.body) : readFileSync(FIXTURES + scenario.fixture)
    entry.status = scenario.status ?? meta?.status ?? 200
    response.writeHead(entry.status, { ...(meta?.headers ?? {}), ...(scenario.headers ?? {}) })
    response.flushHeaders()
    const writes = writesFor(body, scenario.chunking)
    for (let i = 0; i < writes.length; i++) {
      if (response.destroyed) return
      if (scenario.dropAfterWrites !== undefined && i === scenario.dropAfterWrites) {
        entry.droppedByServer = true
        request.socket.destroy()
        return
      }
      if (scenario.stallAfterWrites !== undefined && i === scenario.stallAfterWrites) return
      if (i > 0 && scenario.delayMs) await sleep(scenario.delayMs)
      // Wait until each write is handed to the socket, so a drop that follows loses nothing already sent.
      await new Promise((resolve) => response.write(writes[i], resolve))
    }
    response.end()
  }

  async function control(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const json = (status: number, value: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' })
      response.end(JSON.stringify(value))
    }
    if (request.method === 'POST' && url.pathname === '/__replay/scenarios') {
      const scenario = JSON.parse(await readBody(request)) as Scenario
      const model = `replay-${nextId++}`
      scenarios.set(model, scenario)
      return json(200, { model })
    }
    if (request.method === 'GET' && url.pathname === '/__replay/requests') {
      const model = url.searchParams.get('model')
      return json(200, model ? log.filter((entry) => entry.model === model) : log)
    }
    if (request.method === 'GET' && url.pathname.startsWith('/__replay/fixtures/')) {
      const name = decodeURIComponent(url.pathname.slice('/__replay/fixtures/'.length))
      if (!/^[\w.-]+$/.test(name)) return json(400, { error: 'bad name' })
      response.writeHead(200, { 'content-type': 'application/octet-stream' })
      response.end(readFileSync(FIXTURES + name))
      return
    }
    json(404, { error: 'unknown control path' })
  }

  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    if (url.pathname.startsWith('/__replay/')) return control(request, response, url)
    const text = await readBody(request)
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      body = text
    }
    const entry: LoggedRequest = {
      model: modelOf(url.pathname, body),
      method: request.method ?? '',
      path: url.pathname + url.search,
      headers: request.headers,
      body,
      clientClosedEarly: false,
      receivedAt: Date.now(),
    }
    log.push(entry)
    response.on('close', () => {
      entry.closedAt = Date.now()
      if (!response.writableFinished && !entry.droppedByServer) entry.clientClosedEarly = true
    })
    await replay(request, response, entry)
  })

  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const { port: actualPort } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${actualPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
