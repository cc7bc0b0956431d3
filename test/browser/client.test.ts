/**
 * streamChat() (src/client/) in chromium, bundled by esbuild and imported by a page from
 * another origin: resume after cuts against a local resumable SSE server
 * (test/support/resumable-sse.ts), error events, 400s and abort. The real gateway path is in
 * gateway.test.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Page } from '@playwright/test'
import { createResumableStreams, RESUMABLE_CORS } from '../support/resumable-sse.ts'
import { clientBundleHandler, expect, startStaticServer, test, type RunningServer } from './helpers.ts'

const CHUNKS = ['Xin chào', ' — ắ 你好 🚀', ' line\nbreak', ' end']
const DONE = { provider: 'mock', model: 'mock-1', finish_reason: 'stop' }

let streams = createResumableStreams()
let api: RunningServer
let site: RunningServer
let script: (req: IncomingMessage, res: ServerResponse) => void

test.beforeAll(async () => {
  streams = createResumableStreams()
  api = await startStaticServer({
    handler: (req, res, url) => {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, RESUMABLE_CORS).end()
        return true
      }
      if (streams.handle(req, res, url)) return true
      if (url.pathname !== '/api/stream/chat') return false
      req.resume()
      script(req, res)
      return true
    },
  })
  site = await startStaticServer({
    handler: await clientBundleHandler(),
    pages: {
      '/client.html': '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>client</title>',
    },
  })
})

test.afterAll(async () => {
  await api?.close()
  await site?.close()
})

interface PageRun {
  events: { type: string; text?: string; id?: string; [k: string]: unknown }[]
  opens: { streamId: string | null; resumed: boolean }[]
  reconnects: { attempt: number; lastEventId: string }[]
  error: { name: string; kind?: string; message: string; status?: number; requestId?: string; issues?: unknown } | null
}

/** Runs streamChat() inside the page; `abortAfter` aborts after that many text pieces. */
async function runInPage(page: Page, baseUrl: string, abortAfter = 0): Promise<PageRun> {
  await page.goto(`${site.url}/client.html`)
  return page.evaluate(
    async ({ baseUrl, abortAfter }) => {
      const { streamChat } = (await import('/stream-chat.js' as string)) as typeof import('../../src/client/index.ts')
      const run: PageRun = { events: [], opens: [], reconnects: [], error: null }
      const controller = new AbortController()
      try {
        const input = { user_input: 'Hello', provider: 'gemini' as const }
        for await (const event of streamChat(input, {
          baseUrl,
          signal: controller.signal,
          onOpen: (info) => run.opens.push(info),
          onReconnect: ({ attempt, lastEventId }) => run.reconnects.push({ attempt, lastEventId }),
        })) {
          run.events.push({ ...event })
          if (abortAfter && run.events.length === abortAfter) controller.abort(new Error('stopped in the page'))
        }
      } catch (error) {
        const e = error as {
          name: string
          kind?: string
          message: string
          status?: number
          requestId?: string
          issues?: unknown
        }
        run.error = {
          name: e.name,
          kind: e.kind,
          message: e.message,
          status: e.status,
          requestId: e.requestId,
          issues: e.issues,
        }
      }
      return run
    },
    { baseUrl, abortAfter },
  )
}

test('resumes after two cuts mid-event: the whole answer exactly once, one generation', async ({
  page,
  consoleErrors,
}) => {
  script = (_req, res) => void streams.start(res, { chunks: CHUNKS, done: DONE, dropAfter: [1, 2] })
  const before = streams.generations()
  const run = await runInPage(page, api.url)
  const stream = streams.streams().at(-1)!
  expect(run.error).toBeNull()
  expect(run.events.map((e) => e.text ?? '').join('')).toBe(CHUNKS.join(''))
  expect(run.events.at(-1)).toEqual({ type: 'done', ...DONE })
  expect(streams.generations() - before).toBe(1)
  expect(stream.resumedFrom).toEqual([`${stream.id}:1`, `${stream.id}:3`])
  expect(run.reconnects).toEqual([
    { attempt: 1, lastEventId: `${stream.id}:1` },
    { attempt: 2, lastEventId: `${stream.id}:3` },
  ])
  // X-Stream-Id is readable cross-origin because the server exposes it (Access-Control-Expose-Headers).
  expect(run.opens).toEqual([
    { streamId: stream.id, resumed: false },
    { streamId: stream.id, resumed: true },
    { streamId: stream.id, resumed: true },
  ])
  expect(consoleErrors).toEqual([])
})

test('an error event throws StreamChatError with the message and request_id', async ({ page }) => {
  script = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', ...RESUMABLE_CORS })
    res.end(
      ': open\n\ndata: {"chunk":"partial ","done":false}\n\ndata: {"error":"gemini: overloaded. Retry.","done":true,"request_id":"req-9"}\n\n',
    )
  }
  const run = await runInPage(page, api.url)
  expect(run.events).toEqual([{ type: 'text', text: 'partial ' }])
  expect(run.error).toMatchObject({
    name: 'StreamChatError',
    kind: 'event',
    message: 'gemini: overloaded. Retry.',
    requestId: 'req-9',
  })
})

test('a 400 throws with the issues naming the field', async ({ page }) => {
  script = (_req, res) => {
    res.writeHead(400, { 'content-type': 'application/json', ...RESUMABLE_CORS })
    res.end(
      JSON.stringify({
        error: 'provider: must be one of "gemini", "openai"',
        issues: [{ field: 'provider', message: 'must be one of "gemini", "openai"' }],
      }),
    )
  }
  const run = await runInPage(page, api.url)
  expect(run.error).toMatchObject({
    kind: 'http',
    status: 400,
    issues: [{ field: 'provider', message: 'must be one of "gemini", "openai"' }],
  })
})

test('AbortSignal stops the stream in the page and the server sees the client leave', async ({ page }) => {
  let closed = false
  script = (_req, res) => {
    res.on('close', () => (closed = true))
    streams.start(res, { chunks: Array.from({ length: 100 }, (_, i) => `tick ${i} `), delayMs: 30 })
  }
  const run = await runInPage(page, api.url, 3)
  expect(run.events.map((e) => e.text)).toEqual(['tick 0 ', 'tick 1 ', 'tick 2 '])
  expect(run.error?.message).toBe('stopped in the page')
  await expect.poll(() => closed).toBe(true)
})
