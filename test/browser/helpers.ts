/**
 * Shared pieces of the browser tests: the `test` fixture (Playwright's, plus the page's
 * uncaught errors), tiny static/mock HTTP servers on 127.0.0.1, and page helpers (answer
 * sampling, waiting for a final state, screenshots).
 *
 * The browser is Debian's /usr/bin/chromium (see playwright.config.ts); never `npx playwright install`.
 *
 * @example
 * test('streams', async ({ page, consoleErrors }) => {
 *   await page.goto(url)
 *   expect(consoleErrors).toEqual([])
 * })
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, extname, join, normalize, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test as base, type Page, type TestInfo } from '@playwright/test'

export { expect } from '@playwright/test'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const STATIC_DIR = join(ROOT, 'static')
export const PAGE_FILE = join(STATIC_DIR, 'test_stream.html')
export const RESULTS_DIR = join(ROOT, 'test-results', 'browser')

/** Playwright's `test` with `consoleErrors`: the page's uncaught errors, collected as they happen. */
export const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: async ({ page }, use) => {
    const errors: string[] = []
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`))
    await use(errors)
  },
  page: async ({ page }, use) => {
    page.setDefaultTimeout(15_000)
    await use(page)
  },
})

// ---------------------------------------------------------------------------
// HTTP servers
// ---------------------------------------------------------------------------

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
}

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>

export interface RunningServer {
  url: string
  port: number
  close(): Promise<void>
}

/**
 * An HTTP server on 127.0.0.1 (free port) serving `static/` and, first, any routes of
 * `handler` (which returns true when it answered). Extra pages can be given by path.
 */
export async function startStaticServer(
  opts: { handler?: Handler; pages?: Record<string, string> } = {},
): Promise<RunningServer> {
  const sockets = new Set<import('node:net').Socket>()
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    try {
      if (opts.handler && (await opts.handler(req, res, url))) return
      const page = opts.pages?.[url.pathname]
      if (page !== undefined) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
        res.end(page)
        return
      }
      const rel = url.pathname === '/' ? '/test_stream.html' : decodeURIComponent(url.pathname)
      const file = normalize(join(STATIC_DIR, rel))
      if (!file.startsWith(STATIC_DIR + sep) || !existsSync(file) || !statSync(file).isFile()) {
        res.writeHead(404, { 'content-type': 'text/plain' })
        res.end('not found')
        return
      }
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-store',
      })
      res.end(readFileSync(file))
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
      res.end(String(err))
    }
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((res, rej) => {
    server.once('error', rej)
    server.listen(0, '127.0.0.1', () => res())
  })
  const addr = server.address()
  const port = typeof addr === 'object' && addr ? addr.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy()
        server.close(() => res())
      }),
  }
}

// ---------------------------------------------------------------------------
// Page helpers
// ---------------------------------------------------------------------------

export type FinalState = 'done' | 'error' | 'stopped'

/** Waits until the page's state is one of `states` (default: any final state) and returns it. */
export async function waitForFinal(
  page: Page,
  timeoutMs = 20_000,
  states: string[] = ['done', 'error', 'stopped'],
): Promise<string> {
  await page.waitForFunction(
    (wanted) => wanted.includes(document.getElementById('state')?.getAttribute('data-state') ?? ''),
    states,
    { timeout: timeoutMs, polling: 50 },
  )
  return (await page.getAttribute('#state', 'data-state')) ?? ''
}

/**
 * Starts recording every distinct text of the answer area (MutationObserver), with the
 * page's state at that moment. Read it back with {@link answerSamples}.
 */
export async function recordAnswerSamples(page: Page): Promise<void> {
  await page.evaluate(() => {
    const answer = document.getElementById('answer')!
    const w = window as unknown as { __samples: { text: string; state: string }[]; __sampler?: MutationObserver }
    w.__sampler?.disconnect()
    w.__samples = []
    let last = answer.textContent ?? ''
    const observer = new MutationObserver(() => {
      const text = answer.textContent ?? ''
      if (text === last) return
      last = text
      w.__samples.push({ text, state: document.getElementById('state')?.getAttribute('data-state') ?? '' })
    })
    observer.observe(answer, { childList: true, characterData: true, subtree: true })
    w.__sampler = observer
  })
}

export async function answerSamples(page: Page): Promise<{ text: string; state: string }[]> {
  return page.evaluate(() => (window as unknown as { __samples: { text: string; state: string }[] }).__samples ?? [])
}

export async function answerText(page: Page): Promise<string> {
  return page.evaluate(() => document.getElementById('answer')?.textContent ?? '')
}

export async function errorText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.getElementById('error')
    return el && !el.hidden ? (el.textContent ?? '') : ''
  })
}

/** Fills the form. `transport` picks the radio; undefined fields are left alone. */
export async function fillForm(
  page: Page,
  f: { server?: string; provider?: string; model?: string; question?: string; transport?: 'eventsource' | 'fetch' },
): Promise<void> {
  if (f.server !== undefined) await page.getByLabel('Server URL').fill(f.server)
  if (f.provider !== undefined) await page.getByLabel('Provider').selectOption(f.provider)
  if (f.model !== undefined) await page.getByLabel(/^Model/).fill(f.model)
  if (f.question !== undefined) await page.getByLabel('Question').fill(f.question)
  if (f.transport === 'fetch') await page.getByTestId('transport-fetch').check()
  if (f.transport === 'eventsource') await page.getByTestId('transport-eventsource').check()
}

export async function clickStream(page: Page): Promise<void> {
  await page.getByRole('button', { name: /Stream/ }).click()
}

/** A full-page screenshot in test-results/browser/ (kept between runs), attached to the report too. */
export async function screenshot(page: Page, name: string, testInfo?: TestInfo): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const path = join(RESULTS_DIR, `${name.replace(/[^\w.-]+/g, '_')}.png`)
  await page.screenshot({ path, fullPage: true })
  await testInfo?.attach(name, { path, contentType: 'image/png' })
  return path
}

/** Horizontal overflow check for the phone-width test: the document must not scroll sideways. */
export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** Polls `check` until it returns a truthy value or the time is up. */
export async function until<T>(check: () => T | Promise<T>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(50)
  }
}

export function ensureDir(path: string): void {
  mkdirSync(path, { recursive: true })
}

let bundled: Promise<string> | undefined
/** src/client/index.ts bundled as one ES module (esbuild), served to pages as the browser would load it. */
export function clientBundle(): Promise<string> {
  bundled ??= import('esbuild').then(async ({ build }) => {
    const result = await build({
      entryPoints: [join(ROOT, 'src/client/index.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    })
    return result.outputFiles[0]!.text
  })
  return bundled
}

/** A {@link Handler} serving the client bundle at `/stream-chat.js`. */
export async function clientBundleHandler(): Promise<Handler> {
  const bundle = await clientBundle()
  return (_req, res, url) => {
    if (url.pathname !== '/stream-chat.js') return false
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' }).end(bundle)
    return true
  }
}
