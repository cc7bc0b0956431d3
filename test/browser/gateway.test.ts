/**
 * The test page against the real gateway (test/support/gateway.ts) pointed at the provider
 * emulator (emulator/server.ts): both providers × both transports, Stop, upstream errors,
 * 400s, the old guide's EventSource snippet from another origin, and screenshots.
 *
 * Runtimes: E2E_RUNTIMES=workers,bun (default: every runtime whose entry file exists,
 * narrowed by GATEWAY_RUNTIMES as in the harness).
 */
import type { Page } from '@playwright/test'
import { expectedAnswer, expectedPrefix, startEmulator, type Emulator } from '../../emulator/server.ts'
import { availableRuntimes, startGateway, type RunningGateway, type Runtime } from '../support/gateway.ts'
import { pageScripts, staticScripts } from '../support/static-files.ts'
import {
  expect,
  test,
  answerSamples,
  clientBundleHandler,
  answerText,
  clickStream,
  errorText,
  fillForm,
  horizontalOverflow,
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
  const wanted = process.env.E2E_RUNTIMES?.split(',')
    .map((s) => s.trim())
    .filter(Boolean) as Runtime[] | undefined
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
  test.describe(`test page on the real gateway (${runtime})`, () => {
    let emu: Emulator
    let gw: RunningGateway
    let other: RunningServer

    test.beforeAll(async () => {
      emu = await startEmulator()
      gw = await startGateway({ runtime, upstreamUrl: emu.url })
      other = await startStaticServer({
        handler: await clientBundleHandler(),
        pages: {
          '/snippet.html': snippetPage(gw.url),
          '/client.html': '<!doctype html><meta charset="utf-8"><title>client</title>',
        },
      })
    })

    test.afterAll(async () => {
      await other?.close()
      await gw?.stop()
      await emu?.close()
    })

    async function openPage(page: Page, opts: { width?: number; height?: number } = {}) {
      if (opts.width) await page.setViewportSize({ width: opts.width, height: opts.height ?? 900 })
      await page.goto(`${gw.url}/test_stream.html`)
    }

    async function failureDetails(page: Page): Promise<string> {
      return `state=${await page.getAttribute('#state', 'data-state')} error=${await errorText(page)}\n--- gateway output ---\n${gw.output().slice(-2000)}`
    }

    test('the gateway serves the page (and / redirects to it); /health fills the defaults', async ({
      page,
      consoleErrors,
    }, testInfo) => {
      const root = await fetch(`${gw.url}/`, { redirect: 'manual' })
      await root.arrayBuffer()
      expect([301, 302, 303, 307, 308].includes(root.status), `GET / answers ${root.status}`).toBeTruthy()
      expect(root.headers.get('location') ?? '').toMatch(/\/test_stream\.html$/)
      // Every script the page loads is served as JavaScript (nosniff refuses a script of another type).
      expect([...pageScripts()].sort()).toEqual(staticScripts())
      for (const [path, type] of [
        ['/test_stream.html', 'text/html'],
        ['/test_stream.css', 'text/css'],
        ...pageScripts().map((name) => [`/${name}`, 'javascript'] as const),
      ] as const) {
        const res = await fetch(`${gw.url}${path}`)
        await res.arrayBuffer()
        expect(res.status, path).toBe(200)
        expect(
          (res.headers.get('content-type') ?? '').includes(type),
          `${path}: ${res.headers.get('content-type')}`,
        ).toBeTruthy()
      }

      const health = (await (await fetch(`${gw.url}/health`)).json()) as {
        default_provider?: string
        providers?: Record<string, { model?: string }>
      }
      await page.goto(`${gw.url}/`)
      expect(new URL(page.url()).pathname).toBe('/test_stream.html')
      expect(await page.inputValue('#server-url')).toBe(gw.url)
      await until(
        async () => (await page.textContent('#health-status'))?.startsWith('Gateway:'),
        5000,
        'the health line',
      )
      if (health.default_provider) expect(await page.inputValue('#provider')).toBe(health.default_provider)
      const model = health.providers?.[await page.inputValue('#provider')]?.model
      if (model) expect(await page.getAttribute('#model', 'placeholder')).toBe(`default: ${model}`)
      expect(consoleErrors).toEqual([])
    })

    for (const provider of PROVIDERS) {
      for (const transport of TRANSPORTS) {
        test(`${provider} × ${transport}: partial renders while streaming, then the emulator's exact answer`, async ({
          page,
          consoleErrors,
        }, testInfo) => {
          const prompt = `Xin chào ${provider} ${transport}! 你好 🚀 [emu delay=25]`
          const expected = expectedAnswer(prompt, { provider })
          emu.clearRequests()
          await openPage(page)
          await fillForm(page, { provider, question: prompt, transport })
          await recordAnswerSamples(page)
          await clickStream(page)
          expect(await waitForFinal(page, 30_000), await failureDetails(page)).toBe('done')
          expect(await answerText(page)).toBe(expected)

          const samples = await answerSamples(page)
          const partial = new Set(
            samples.map((s) => s.text).filter((t) => t.length > 0 && t !== expected && expected.startsWith(t)),
          )
          expect(partial.size >= 2, `at least two partial renders before done; samples: ${samples.length}`).toBeTruthy()
          expect(
            samples.some((s) => s.state === 'streaming'),
            'text shown while the state is "streaming"',
          ).toBeTruthy()

          const chunks = Number(await page.textContent('#stat-chunks'))
          expect(chunks >= 2, `chunks ${chunks}`).toBeTruthy()
          expect(await page.textContent('#stat-chars')).toBe(String([...expected].length))
          expect((await page.textContent('#stat-ttfc')) ?? '').toMatch(/\d+(\.\d+)? m?s/)
          expect((await page.textContent('#meta')) ?? '').toMatch(new RegExp(`provider: ${provider}`))

          // One upstream request for this provider, and no EventSource reconnect after done.
          await page.waitForTimeout(300)
          const upstream = emu.requests().filter((r) => r.prompt?.includes(transport))
          expect(upstream.length, JSON.stringify(upstream.map((r) => r.path))).toBe(1)
          expect(upstream[0]!.provider).toBe(provider)
          expect(upstream[0]!.clientClosedEarly).toBe(false)
          expect(consoleErrors).toEqual([])
          await screenshot(page, `gateway-${runtime}-${provider}-${transport}`, testInfo)
        })
      }
    }

    for (const transport of TRANSPORTS) {
      const provider = transport === 'eventsource' ? 'gemini' : 'openai'
      test(`${transport}: Stop aborts, shows "stopped", and the emulator sees the client leave (${provider})`, async ({
        page,
        consoleErrors,
      }, testInfo) => {
        emu.clearRequests()
        await openPage(page)
        await fillForm(page, { provider, question: `Stop me (${transport}) [emu delay=150 sentences=40]`, transport })
        await clickStream(page)
        await page.waitForFunction(() => (document.getElementById('answer')?.textContent ?? '').length > 0, undefined, {
          timeout: 15_000,
        })
        await page.getByRole('button', { name: 'Stop' }).click()
        expect(await waitForFinal(page)).toBe('stopped')
        expect(await page.textContent('#state')).toBe('stopped')
        const entry = await emu.waitForRequest((r) => r.clientClosedEarly, 10_000)
        expect(entry.provider).toBe(provider)
        const text = await answerText(page)
        await page.waitForTimeout(500)
        expect(await answerText(page), 'no more text after Stop').toBe(text)
        expect(emu.requests().length, 'no reconnect after Stop').toBe(1)
      })
    }

    for (const transport of TRANSPORTS) {
      test(`${transport}: an upstream error (emulator fault=429) is shown plainly`, async ({
        page,
        consoleErrors,
      }, testInfo) => {
        await openPage(page)
        await fillForm(page, { provider: 'openai', question: 'Rate limit me [emu fault=429]', transport })
        await clickStream(page)
        expect(await waitForFinal(page), await failureDetails(page)).toBe('error')
        const text = await errorText(page)
        expect(text).toMatch(/Stream error:/)
        expect(text).toMatch(/429/)
        expect(text).toMatch(/openai/i)
        await screenshot(page, `gateway-${runtime}-upstream-error-${transport}`, testInfo)
      })

      test(`${transport}: a stream that breaks mid-way keeps the partial text and shows an error`, async ({
        page,
        consoleErrors,
      }, testInfo) => {
        const prompt = `Break mid-way [emu fault=drop after=3 delay=20]`
        await openPage(page)
        await fillForm(page, { provider: 'gemini', question: prompt, transport })
        await clickStream(page)
        expect(await waitForFinal(page), await failureDetails(page)).toBe('error')
        expect(await errorText(page)).not.toBe('')
        expect(await answerText(page)).toBe(expectedPrefix(prompt, { provider: 'gemini' }))
      })

      test(`${transport}: a 400 (empty question) names the field`, async ({ page, consoleErrors }, testInfo) => {
        emu.clearRequests()
        await openPage(page)
        await fillForm(page, { question: '', transport })
        await clickStream(page)
        expect(await waitForFinal(page)).toBe('error')
        const text = await errorText(page)
        expect(text).toMatch(/HTTP 400/)
        expect(text).toMatch(/user_input/)
        expect(emu.requests().length, 'nothing sent upstream').toBe(0)
        await screenshot(page, `gateway-${runtime}-400-${transport}`, testInfo)
      })
    }

    test('fetch: a 400 for an out-of-range temperature names the field', async ({ page, consoleErrors }, testInfo) => {
      await openPage(page)
      await fillForm(page, { question: 'Hello', transport: 'fetch' })
      await page.locator('#advanced summary').click()
      await page.getByLabel('Temperature').fill('7')
      await clickStream(page)
      expect(await waitForFinal(page)).toBe('error')
      const text = await errorText(page)
      expect(text).toMatch(/HTTP 400/)
      expect(text).toMatch(/temperature/)
    })

    test("the old guide's EventSource snippet works from another origin (CORS)", async ({
      page,
      consoleErrors,
    }, testInfo) => {
      emu.clearRequests()
      const logs: string[] = []
      const errors: string[] = []
      page.on('console', (msg) => (msg.type() === 'error' ? errors : logs).push(msg.text()))
      expect(new URL(other.url).origin).not.toBe(new URL(gw.url).origin)
      await page.goto(`${other.url}/snippet.html`)
      await until(() => logs.includes('Stream completed!'), 20_000, '"Stream completed!" in the console')
      const chunks = logs.slice(0, logs.indexOf('Stream completed!'))
      expect(chunks.join('')).toBe(expectedAnswer('Hello', { provider: 'gemini' }))
      await page.waitForTimeout(300)
      expect(errors).toEqual([])
      expect(emu.requests().length, 'one upstream request: the snippet closed its EventSource').toBe(1)
    })

    test('the page served from another origin streams with both transports (CORS)', async ({
      page,
      consoleErrors,
    }, testInfo) => {
      await page.goto(`${other.url}/test_stream.html?server=${encodeURIComponent(gw.url)}`)
      expect(await page.inputValue('#server-url')).toBe(gw.url)
      for (const transport of TRANSPORTS) {
        const prompt = `Cross-origin ${transport} [emu delay=5]`
        await fillForm(page, { provider: 'openai', question: prompt, transport })
        await clickStream(page)
        expect(await waitForFinal(page), await failureDetails(page)).toBe('done')
        expect(await answerText(page)).toBe(expectedAnswer(prompt, { provider: 'openai' }))
      }
      expect(consoleErrors).toEqual([])
    })

    for (const transport of TRANSPORTS) {
      test(`${transport}: system, temperature, max_tokens and the conversation reach the provider (openai)`, async ({
        page,
      }) => {
        emu.clearRequests()
        await openPage(page)
        const first = `First turn ${transport} [emu delay=1]`
        await fillForm(page, { provider: 'openai', question: first, transport })
        await page.locator('#advanced summary').click()
        await page.getByLabel('System instruction').fill('Answer briefly.')
        await page.getByLabel('Temperature').fill('0.5')
        await page.getByLabel('Max tokens').fill('300')
        await clickStream(page)
        expect(await waitForFinal(page), await failureDetails(page)).toBe('done')
        const firstAnswer = await answerText(page)
        const second = `Second turn ${transport} [emu delay=1]`
        await fillForm(page, { question: second })
        await clickStream(page)
        expect(await waitForFinal(page), await failureDetails(page)).toBe('done')
        expect(await answerText(page)).toBe(expectedAnswer(second, { provider: 'openai' }))
        const bodies = emu
          .requests()
          .map((r) => r.body as { messages: unknown; temperature?: number; max_completion_tokens?: number })
        expect(bodies).toHaveLength(2)
        expect(bodies[0]).toMatchObject({ temperature: 0.5, max_completion_tokens: 300 })
        expect(bodies[1]!.messages).toEqual([
          { role: 'system', content: 'Answer briefly.' },
          { role: 'user', content: first },
          { role: 'assistant', content: firstAnswer },
          { role: 'user', content: second },
        ])
      })
    }

    test('streamChat() bundled for the browser streams the exact answer from another origin', async ({
      page,
      consoleErrors,
    }) => {
      emu.clearRequests()
      const prompt = `Typed client in chromium! 你好 🚀 [emu delay=10]`
      await page.goto(`${other.url}/client.html`)
      const run = await page.evaluate(
        async ({ baseUrl, prompt }) => {
          const { streamChat } = (await import(
            '/stream-chat.js' as string
          )) as typeof import('../../src/client/index.ts')
          const events: { type: string; text?: string; provider?: unknown; finish_reason?: unknown }[] = []
          for await (const event of streamChat({ user_input: prompt, provider: 'gemini' }, { baseUrl }))
            events.push({ ...event })
          let error = ''
          try {
            for await (const _ of streamChat({ user_input: 'Fail [emu fault=429]', provider: 'openai' }, { baseUrl }))
              void _
          } catch (e) {
            error = `${(e as Error).name} ${(e as { kind?: string }).kind}: ${(e as Error).message}`
          }
          return { events, error }
        },
        { baseUrl: gw.url, prompt },
      )
      const texts = run.events.filter((e) => e.type === 'text')
      expect(texts.length).toBeGreaterThanOrEqual(2)
      expect(texts.map((e) => e.text).join('')).toBe(expectedAnswer(prompt, { provider: 'gemini' }))
      expect(run.events.at(-1)).toMatchObject({ type: 'done', provider: 'gemini', finish_reason: 'stop' })
      expect(run.error).toMatch(/^StreamChatError event: .*openai/i)
      expect(emu.requests().filter((r) => r.prompt?.includes('Typed client'))).toHaveLength(1)
      expect(consoleErrors).toEqual([])
    })

    test('phone width (360 px): the finished page has no sideways scrolling', async ({
      page,
      consoleErrors,
    }, testInfo) => {
      await openPage(page, { width: 360, height: 780 })
      const prompt = 'Xin chào! 你好 🚀 [emu delay=5]'
      await fillForm(page, { provider: 'gemini', question: prompt, transport: 'fetch' })
      await clickStream(page)
      expect(await waitForFinal(page), await failureDetails(page)).toBe('done')
      expect(await answerText(page)).toBe(expectedAnswer(prompt, { provider: 'gemini' }))
      expect(
        (await horizontalOverflow(page)) <= 0,
        `horizontal overflow ${await horizontalOverflow(page)} px`,
      ).toBeTruthy()
      await screenshot(page, `gateway-${runtime}-done-360px`, testInfo)
    })
  })
}
