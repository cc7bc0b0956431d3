/**
 * `/docs` on every runtime, black box: the page references only its own origin, every file it
 * references is served, and Debian's chromium renders the API reference with every other origin
 * cut off (requests to another origin are aborted and counted) and no Content-Security-Policy
 * violation. GATEWAY_RUNTIMES=workers (or bun,node) narrows the runtimes.
 */
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromium, type Browser } from '@playwright/test'
import { availableRuntimes, startGateway, type RunningGateway } from '../support/gateway.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const CONTENT_TYPES: Record<string, RegExp> = {
  '/docs/assets/swagger-ui.css': /^text\/css/,
  '/docs/assets/favicon-32x32.png': /^image\/png/,
  '/openapi.json': /^application\/json/,
  '/docs/assets/swagger-ui-bundle.js': /^(text|application)\/javascript/,
  '/docs/init.js': /^text\/javascript/,
}

describe.each(availableRuntimes())('/docs on %s', (runtime) => {
  let gw: RunningGateway
  beforeAll(async () => {
    // /docs calls no provider: the upstream is never contacted.
    gw = await startGateway({ runtime, upstreamUrl: 'http://127.0.0.1:9' })
  })
  afterAll(() => gw?.stop())

  it('references only same-origin files, and serves each of them', async () => {
    const res = await fetch(`${gw.url}/docs`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'")
    const html = await res.text()
    const refs = [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((match) => match[1])
    expect(refs.sort()).toEqual(Object.keys(CONTENT_TYPES).sort())
    for (const ref of refs) {
      const asset = await fetch(new URL(ref!, gw.url))
      expect(asset.status, ref).toBe(200)
      expect(asset.headers.get('content-type'), ref).toMatch(CONTENT_TYPES[ref!]!)
      expect((await asset.arrayBuffer()).byteLength, ref).toBeGreaterThan(100)
    }
  })

  it.skipIf(!existsSync(CHROMIUM))('renders in chromium with every other origin cut off', async () => {
    const browser: Browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu'],
    })
    try {
      const page = await browser.newPage()
      const origin = new URL(gw.url).origin
      const foreign: string[] = []
      const problems: string[] = []
      await page.route('**/*', (route) => {
        const url = route.request().url()
        if (url.startsWith('data:') || new URL(url).origin === origin) return route.continue()
        foreign.push(url)
        return route.abort('internetdisconnected')
      })
      page.on('console', (message) => {
        if (message.type() === 'error' || /Content Security Policy/i.test(message.text())) problems.push(message.text())
      })
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (event) => {
          console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`)
        })
      })

      await page.goto(`${gw.url}/docs`)
      await page.locator('.swagger-ui .info .title').filter({ hasText: 'LLM SSE Gateway' }).waitFor({ timeout: 20_000 })
      const operations = await page.locator('.opblock-summary-path').allTextContents()
      expect(operations.map((text) => text.replace(/\u200b/g, '')).sort()).toEqual(
        [
          '/api/flows/ask',
          '/api/stream/chat',
          '/api/stream/chat-get',
          '/api/stream/sse',
          '/api/streams/{stream_id}', // GET
          '/api/streams/{stream_id}', // DELETE
          '/api/usage',
          '/health',
          '/v1/chat/completions',
          '/v1/models',
          '/v1/responses',
          '/v1/responses/{response_id}', // GET
          '/v1/responses/{response_id}', // DELETE
          '/v1/responses/{response_id}/cancel',
        ].sort(),
      )
      // The event schemas are listed with the others.
      await page.locator('.models').getByText('StreamEvent', { exact: true }).waitFor({ timeout: 5_000 })
      expect(
        await page.evaluate(() => getComputedStyle(document.querySelector('.swagger-ui .info .title')!).fontFamily),
      ).toMatch(/sans-serif/)
      expect(foreign).toEqual([])
      expect(problems).toEqual([])
    } finally {
      await browser.close()
    }
  })
})
