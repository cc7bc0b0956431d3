/**
 * The test page against the real gateway (test/support/gateway.ts) pointed at the provider
 * emulator (emulator/server.ts): both providers × both transports, Stop, upstream errors,
 * 400s, the old guide's EventSource snippet from another origin, and screenshots.
 *
 * Runtimes: E2E_RUNTIMES=workers,bun (default: every runtime whose entry file exists,
 * narrowed by GATEWAY_RUNTIMES as in the harness).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { expectedAnswer, expectedPrefix, startEmulator, type Emulator } from '../../emulator/server.ts'
import { availableRuntimes, startGateway, type RunningGateway, type Runtime } from '../support/gateway.ts'
import {
  answerSamples,
  answerText,
  clickStream,
  errorText,
  fillForm,
  horizontalOverflow,
  launchBrowser,
  newPage,
  recordAnswerSamples,
  screenshot,
  startStaticServer,
  until,
  waitForFinal,
  type RunningServer,
} from './helpers.ts'

const PROVIDERS = ['gemini', 'openai'] as const
const TRANSPORTS = ['eventsource', 'fetch'] as const

function runtimes(): Runtime[] {
  const wanted = process.env.E2E_RUNTIMES?.split(',').map((s) => s.trim()).filter(Boolean) as Runtime[] | undefined
  const available = availableRuntimes()
  if (!wanted) return available.length ? available : ['workers']
  return wanted
}

/** The old guide's snippet, verbatim but for the URL, in a page of its own. */
function snippetPage(gatewayUrl: string): string {
  const snippet = `const eventSource = new EventSource('http://localhost:8000/api/stream/chat-get?user_input=Hello&provider=gemini');
eventSource.onmessage = (event) => { const data = JSON.parse(event.data); if (data.done) { console.log('Stream completed!'); eventSource.close(); } else { console.log(data.chunk); } };
eventSource.onerror = (error) => { console.error('Error:', error); eventSource.close(); };`
  const script = snippet.replace('http://localhost:8000', gatewayUrl)
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Old guide snippet</title></head>
<body><h1>Old guide snippet</h1><script>${script}</script></body></html>`
}

for (const runtime of runtimes()) {
  describe(`test page on the real gateway (${runtime})`, () => {
    let browser: Browser
    let emu: Emulator
    let gw: RunningGateway
    let other: RunningServer

    before(async () => {
      emu = await startEmulator()
      gw = await startGateway({ runtime, upstreamUrl: emu.url })
      browser = await launchBrowser()
      other = await startStaticServer({ pages: { '/snippet.html': snippetPage(gw.url) } })
    })

    after(async () => {
      await browser?.close()
      await other?.close()
      await gw?.stop()
      await emu?.close()
    })

    async function openPage(opts: { width?: number; height?: number } = {}) {
      const { context, page, consoleErrors } = await newPage(browser, opts)
      await page.goto(`${gw.url}/test_stream.html`)
      return { context, page, consoleErrors }
    }

    async function failureDetails(page: Page): Promise<string> {
      return `state=${await page.getAttribute('#state', 'data-state')} error=${await errorText(page)}\n--- gateway output ---\n${gw.output().slice(-2000)}`
    }

    test('the gateway serves the page (and / redirects to it); /health fills the defaults', async () => {
      const root = await fetch(`${gw.url}/`, { redirect: 'manual' })
      await root.arrayBuffer()
      assert.ok([301, 302, 303, 307, 308].includes(root.status), `GET / answers ${root.status}`)
      assert.match(root.headers.get('location') ?? '', /\/test_stream\.html$/)
      for (const [path, type] of [
        ['/test_stream.html', 'text/html'],
        ['/test_stream.css', 'text/css'],
        ['/test_stream.js', 'javascript'],
      ] as const) {
        const res = await fetch(`${gw.url}${path}`)
        await res.arrayBuffer()
        assert.equal(res.status, 200, path)
        assert.ok((res.headers.get('content-type') ?? '').includes(type), `${path}: ${res.headers.get('content-type')}`)
      }

      const health = (await (await fetch(`${gw.url}/health`)).json()) as {
        default_provider?: string
        providers?: Record<string, { model?: string }>
      }
      const { context, page, consoleErrors } = await newPage(browser)
      try {
        await page.goto(`${gw.url}/`)
        assert.equal(new URL(page.url()).pathname, '/test_stream.html')
        assert.equal(await page.inputValue('#server-url'), gw.url)
        await until(async () => (await page.textContent('#health-status'))?.startsWith('Gateway:'), 5000, 'the health line')
        if (health.default_provider) assert.equal(await page.inputValue('#provider'), health.default_provider)
        const model = health.providers?.[await page.inputValue('#provider')]?.model
        if (model) assert.equal(await page.getAttribute('#model', 'placeholder'), `default: ${model}`)
        assert.deepEqual(consoleErrors, [])
      } finally {
        await context.close()
      }
    })

    for (const provider of PROVIDERS) {
      for (const transport of TRANSPORTS) {
        test(`${provider} × ${transport}: partial renders while streaming, then the emulator's exact answer`, async () => {
          const prompt = `Xin chào ${provider} ${transport}! 你好 🚀 [emu delay=25]`
          const expected = expectedAnswer(prompt, { provider })
          emu.clearRequests()
          const { context, page, consoleErrors } = await openPage()
          try {
            await fillForm(page, { provider, question: prompt, transport })
            await recordAnswerSamples(page)
            await clickStream(page)
            assert.equal(await waitForFinal(page, 30_000), 'done', await failureDetails(page))
            assert.equal(await answerText(page), expected)

            const samples = await answerSamples(page)
            const partial = new Set(samples.map((s) => s.text).filter((t) => t.length > 0 && t !== expected && expected.startsWith(t)))
            assert.ok(partial.size >= 2, `at least two partial renders before done; samples: ${samples.length}`)
            assert.ok(samples.some((s) => s.state === 'streaming'), 'text shown while the state is "streaming"')

            const chunks = Number(await page.textContent('#stat-chunks'))
            assert.ok(chunks >= 2, `chunks ${chunks}`)
            assert.equal(await page.textContent('#stat-chars'), String([...expected].length))
            assert.match((await page.textContent('#stat-ttfc')) ?? '', /\d+(\.\d+)? m?s/)
            assert.match((await page.textContent('#meta')) ?? '', new RegExp(`provider: ${provider}`))

            // One upstream request for this provider, and no EventSource reconnect after done.
            await page.waitForTimeout(300)
            const upstream = emu.requests().filter((r) => r.prompt?.includes(transport))
            assert.equal(upstream.length, 1, JSON.stringify(upstream.map((r) => r.path)))
            assert.equal(upstream[0]!.provider, provider)
            assert.equal(upstream[0]!.clientClosedEarly, false)
            assert.deepEqual(consoleErrors, [])
            await screenshot(page, `gateway-${runtime}-${provider}-${transport}`)
          } finally {
            await context.close()
          }
        })
      }
    }

    for (const transport of TRANSPORTS) {
      const provider = transport === 'eventsource' ? 'gemini' : 'openai'
      test(`${transport}: Stop aborts, shows "stopped", and the emulator sees the client leave (${provider})`, async () => {
        emu.clearRequests()
        const { context, page } = await openPage()
        try {
          await fillForm(page, { provider, question: `Stop me (${transport}) [emu delay=150 sentences=40]`, transport })
          await clickStream(page)
          await page.waitForFunction(() => (document.getElementById('answer')?.textContent ?? '').length > 0, undefined, {
            timeout: 15_000,
          })
          await page.getByRole('button', { name: 'Stop' }).click()
          assert.equal(await waitForFinal(page), 'stopped')
          assert.equal(await page.textContent('#state'), 'stopped')
          const entry = await emu.waitForRequest((r) => r.clientClosedEarly, 10_000)
          assert.equal(entry.provider, provider)
          const text = await answerText(page)
          await page.waitForTimeout(500)
          assert.equal(await answerText(page), text, 'no more text after Stop')
          assert.equal(emu.requests().length, 1, 'no reconnect after Stop')
        } finally {
          await context.close()
        }
      })
    }

    for (const transport of TRANSPORTS) {
      test(`${transport}: an upstream error (emulator fault=429) is shown plainly`, async () => {
        const { context, page } = await openPage()
        try {
          await fillForm(page, { provider: 'openai', question: 'Rate limit me [emu fault=429]', transport })
          await clickStream(page)
          assert.equal(await waitForFinal(page), 'error', await failureDetails(page))
          const text = await errorText(page)
          assert.match(text, /Stream error:/)
          assert.match(text, /429/)
          assert.match(text, /openai/i)
          await screenshot(page, `gateway-${runtime}-upstream-error-${transport}`)
        } finally {
          await context.close()
        }
      })

      test(`${transport}: a stream that breaks mid-way keeps the partial text and shows an error`, async () => {
        const prompt = `Break mid-way [emu fault=drop after=3 delay=20]`
        const { context, page } = await openPage()
        try {
          await fillForm(page, { provider: 'gemini', question: prompt, transport })
          await clickStream(page)
          assert.equal(await waitForFinal(page), 'error', await failureDetails(page))
          assert.notEqual(await errorText(page), '')
          assert.equal(await answerText(page), expectedPrefix(prompt, { provider: 'gemini' }))
        } finally {
          await context.close()
        }
      })

      test(`${transport}: a 400 (empty question) names the field`, async () => {
        emu.clearRequests()
        const { context, page } = await openPage()
        try {
          await fillForm(page, { question: '', transport })
          await clickStream(page)
          assert.equal(await waitForFinal(page), 'error')
          const text = await errorText(page)
          assert.match(text, /HTTP 400/)
          assert.match(text, /user_input/)
          assert.equal(emu.requests().length, 0, 'nothing sent upstream')
          await screenshot(page, `gateway-${runtime}-400-${transport}`)
        } finally {
          await context.close()
        }
      })
    }

    test('fetch: a 400 for an out-of-range temperature names the field', async () => {
      const { context, page } = await openPage()
      try {
        await fillForm(page, { question: 'Hello', transport: 'fetch' })
        await page.locator('#advanced summary').click()
        await page.getByLabel('Temperature').fill('7')
        await clickStream(page)
        assert.equal(await waitForFinal(page), 'error')
        const text = await errorText(page)
        assert.match(text, /HTTP 400/)
        assert.match(text, /temperature/)
      } finally {
        await context.close()
      }
    })

    test("the old guide's EventSource snippet works from another origin (CORS)", async () => {
      emu.clearRequests()
      const { context, page } = await newPage(browser)
      const logs: string[] = []
      const errors: string[] = []
      page.on('console', (msg) => (msg.type() === 'error' ? errors : logs).push(msg.text()))
      try {
        assert.notEqual(new URL(other.url).origin, new URL(gw.url).origin)
        await page.goto(`${other.url}/snippet.html`)
        await until(() => logs.includes('Stream completed!'), 20_000, '"Stream completed!" in the console')
        const chunks = logs.slice(0, logs.indexOf('Stream completed!'))
        assert.equal(chunks.join(''), expectedAnswer('Hello', { provider: 'gemini' }))
        await page.waitForTimeout(300)
        assert.deepEqual(errors, [])
        assert.equal(emu.requests().length, 1, 'one upstream request: the snippet closed its EventSource')
      } finally {
        await context.close()
      }
    })

    test('the page served from another origin streams with both transports (CORS)', async () => {
      const { context, page, consoleErrors } = await newPage(browser)
      try {
        await page.goto(`${other.url}/test_stream.html?server=${encodeURIComponent(gw.url)}`)
        assert.equal(await page.inputValue('#server-url'), gw.url)
        for (const transport of TRANSPORTS) {
          const prompt = `Cross-origin ${transport} [emu delay=5]`
          await fillForm(page, { provider: 'openai', question: prompt, transport })
          await clickStream(page)
          assert.equal(await waitForFinal(page), 'done', await failureDetails(page))
          assert.equal(await answerText(page), expectedAnswer(prompt, { provider: 'openai' }))
        }
        assert.deepEqual(consoleErrors, [])
      } finally {
        await context.close()
      }
    })

    test('phone width (360 px): the finished page has no sideways scrolling', async () => {
      const { context, page } = await openPage({ width: 360, height: 780 })
      try {
        const prompt = 'Xin chào! 你好 🚀 [emu delay=5]'
        await fillForm(page, { provider: 'gemini', question: prompt, transport: 'fetch' })
        await clickStream(page)
        assert.equal(await waitForFinal(page), 'done', await failureDetails(page))
        assert.equal(await answerText(page), expectedAnswer(prompt, { provider: 'gemini' }))
        assert.ok((await horizontalOverflow(page)) <= 0, `horizontal overflow ${await horizontalOverflow(page)} px`)
        await screenshot(page, `gateway-${runtime}-done-360px`)
      } finally {
        await context.close()
      }
    })
  })
}
