/**
 * A browser EventSource resumes a dropped stream by itself: a small TCP proxy (node:net, 127.0.0.1)
 * between Chromium and the real gateway cuts the first SSE connection in the middle of an event;
 * EventSource reconnects with Last-Event-ID (after the `retry: 1000` hint) and the page shows the
 * whole answer exactly once, while the provider emulator saw one request.
 *
 *   npm run test:e2e -- resume          # E2E_RUNTIMES=workers,bun (default: both)
 *
 * Self-contained (its own page and browser), so it does not depend on the page helpers.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { chromium, expect, test, type Browser } from '@playwright/test'
import { expectedAnswer, startEmulator, type Emulator } from '../../emulator/server.ts'
import { startCuttingProxy, type CuttingProxy } from '../support/cutting-proxy.ts'
import { startGateway, type RunningGateway, type Runtime } from '../support/gateway.ts'

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const PROMPT = 'Resume me in the browser [emu chunks=40 delay=60]'
const RUNTIMES = (process.env.E2E_RUNTIMES ?? 'workers,bun').split(',').map((s) => s.trim()) as Runtime[]

/** A page on its own origin that follows one answer with EventSource and never closes it on error. */
function pageHtml(streamUrl: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Resume</title></head>
<body><pre id="answer"></pre><script>
window.opens = 0; window.errors = 0; window.ids = []
const answer = document.getElementById('answer')
const source = new EventSource(${JSON.stringify(streamUrl)})
source.onopen = () => { window.opens++ }
source.onerror = () => { window.errors++ }
source.onmessage = (event) => {
  window.ids.push(event.lastEventId)
  const data = JSON.parse(event.data)
  if (!data.done) { answer.textContent += data.chunk; return }
  source.close()
  window.last = data
  document.body.dataset.state = 'done'
}
</script></body></html>`
}

async function startPageServer(html: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: HttpServer = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(html)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  }
}

for (const runtime of RUNTIMES) {
  test.describe(`EventSource resumes a dropped stream (${runtime})`, () => {
    let emu: Emulator
    let gw: RunningGateway
    let proxy: CuttingProxy
    let browser: Browser

    test.beforeAll(async () => {
      emu = await startEmulator()
      gw = await startGateway({ runtime, upstreamUrl: emu.url })
      // Cuts the first GET /api/stream/chat-get in the middle of its third event.
      proxy = await startCuttingProxy(gw.port, { matches: (head) => head.startsWith('GET /api/stream/chat-get') })
      browser = await chromium.launch({
        executablePath: CHROMIUM_PATH,
        args: ['--headless', '--no-sandbox', '--disable-gpu'],
        timeout: 60_000,
      })
    })

    test.afterAll(async () => {
      await browser?.close()
      await proxy?.close()
      await gw?.stop()
      await emu?.close()
    })

    test('the connection is cut mid-event; the page shows the whole answer exactly once; one upstream request', async () => {
      const streamUrl = `${proxy.url}/api/stream/chat-get?${new URLSearchParams({ user_input: PROMPT, provider: 'gemini' })}`
      const site = await startPageServer(pageHtml(streamUrl))
      const page = await browser.newPage()
      try {
        await page.goto(site.url)
        await page.waitForSelector('body[data-state="done"]', { timeout: 20_000 })
        const seen = (await page.evaluate(() => {
          const w = window as unknown as { opens: number; errors: number; ids: string[]; last: unknown }
          return {
            opens: w.opens,
            errors: w.errors,
            ids: w.ids,
            last: w.last,
            text: document.getElementById('answer')!.textContent,
          }
        })) as { opens: number; errors: number; ids: string[]; last: Record<string, unknown>; text: string }

        expect(seen.text).toBe(expectedAnswer(PROMPT, { provider: 'gemini' }))
        const { usage, timing, ...last } = seen.last
        // The upstream's timing, as in the log line: whole, non-negative milliseconds.
        expect(timing).toEqual({ gw_ms: expect.any(Number), upstream_ms: expect.any(Number) })
        for (const ms of Object.values(timing as Record<string, number>)) {
          expect(Number.isInteger(ms) && ms >= 0, `timing ${JSON.stringify(timing)}`).toBe(true)
        }
        expect(last).toEqual({
          chunk: '',
          done: true,
          provider: 'gemini',
          model: 'gemini-2.5-flash',
          finish_reason: 'stop',
          attempts: 1,
          request_id: expect.any(String),
        })
        expect(typeof (usage as { total_tokens?: unknown }).total_tokens).toBe('number')
        // It did reconnect: two opens, one error, and the second request carried the last id it had.
        expect(seen.opens, JSON.stringify(seen)).toBe(2)
        expect(seen.errors).toBe(1)
        expect(proxy.requests).toHaveLength(2)
        const streamId = seen.ids[0]!.split(':')[0]
        expect(proxy.requests[1]!).toMatch(new RegExp(`\\r\\nlast-event-id: ${streamId}:2\\r\\n`, 'i'))
        // Every event once, in order: ids 1…n with no gap and no repeat.
        expect(seen.ids).toEqual(seen.ids.map((_, i) => `${streamId}:${i + 1}`))
        const requests = emu.requests()
        expect(requests.length, JSON.stringify(requests.map((r) => [r.path, r.outcome]))).toBe(1)
        expect(requests[0]!.clientClosedEarly).toBe(false)
      } finally {
        await page.close()
        await site.close()
      }
    })
  })
}
