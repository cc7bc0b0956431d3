/**
 * The test page on its own, against a scripted mock of the gateway API (mock-gateway.ts):
 * accessibility of the controls, SSE parsing edge cases for both transports, text-only
 * rendering, errors, Stop, keyboard, file:// and phone width.
 */
import { pathToFileURL } from 'node:url'
import type { Page } from '@playwright/test'
import {
  PAGE_FILE,
  expect,
  test,
  answerSamples,
  answerText,
  clickStream,
  errorText,
  fillForm,
  horizontalOverflow,
  recordAnswerSamples,
  screenshot,
  until,
  waitForFinal,
} from './helpers.ts'
import {
  CRLF_TEXT,
  ERROR_MESSAGE,
  XSS_CHUNKS,
  crlfWrites,
  echoChunks,
  startMockGateway,
  type MockGateway,
} from './mock-gateway.ts'

const TRANSPORTS = ['eventsource', 'fetch'] as const

let mock: MockGateway

test.beforeAll(async () => {
  mock = await startMockGateway()
})

test.afterAll(async () => {
  await mock?.close()
})

async function openPage(page: Page, opts: { width?: number; height?: number; query?: string } = {}) {
  if (opts.width) await page.setViewportSize({ width: opts.width, height: opts.height ?? 900 })
  await page.goto(`${mock.url}/test_stream.html${opts.query ?? ''}`)
}

async function stats(page: Page) {
  return page.evaluate(() => {
    const t = (id: string) => document.getElementById(id)?.textContent ?? ''
    return {
      ttfc: t('stat-ttfc'),
      chunks: t('stat-chunks'),
      chars: t('stat-chars'),
      elapsed: t('stat-elapsed'),
      rate: t('stat-rate'),
      meta: t('meta'),
    }
  })
}

test.describe('test page (mock gateway)', () => {
  test('has a title, headings, labelled controls and a polite live answer region', async ({
    page,
    consoleErrors,
  }, testInfo) => {
    await openPage(page)
    expect(await page.title()).toBe('LLM SSE Gateway – Stream test')
    expect((await page.getAttribute('html', 'lang')) ?? '').toMatch(/^(en|vi)$/)
    expect(await page.getByRole('heading', { level: 1 }).count()).toBe(1)
    expect(await page.evaluate(() => document.characterSet)).toBe('UTF-8')
    for (const label of ['Server URL', 'Provider', 'Question']) {
      expect(await page.getByLabel(label, { exact: true }).count(), `control labelled ${label}`).toBe(1)
    }
    expect(await page.getByLabel(/^Model/).count()).toBe(1)
    expect(await page.getByRole('radio', { name: /EventSource/ }).count()).toBe(1)
    expect(await page.getByRole('radio', { name: /fetch/ }).count()).toBe(1)
    expect(await page.getByRole('button', { name: /Stream/ }).count()).toBe(1)
    expect(await page.getByRole('button', { name: 'Stop' }).count()).toBe(1)
    expect(await page.getByRole('button', { name: 'Stop' }).isDisabled()).toBe(true)
    expect(await page.getAttribute('#answer', 'aria-live')).toBe('polite')
    expect(await page.getAttribute('#error', 'role')).toBe('alert')
    // The same origin is the default server; the question is a multi-line textarea.
    expect(await page.inputValue('#server-url')).toBe(mock.url)
    expect(await page.evaluate(() => document.getElementById('question')?.tagName)).toBe('TEXTAREA')
    // No external resources (offline machine): every script and stylesheet is local.
    const external = await page.evaluate(() =>
      [...document.querySelectorAll('script[src], link[href]')]
        .map((el) => (el as HTMLScriptElement).src || (el as HTMLLinkElement).href)
        .filter((u) => !u.startsWith(location.origin) && !u.startsWith('data:')),
    )
    expect(external).toEqual([])
    expect(consoleErrors).toEqual([])
  })

  test('GET /health preselects the default provider and shows model placeholders', async ({
    page,
    consoleErrors,
  }, testInfo) => {
    await openPage(page)
    await until(async () => (await page.textContent('#health-status'))?.includes('Gateway: ok'), 5000, 'health line')
    expect(await page.inputValue('#provider')).toBe('openai')
    expect(await page.getAttribute('#model', 'placeholder')).toBe('default: gpt-mock')
    expect((await page.textContent('#provider option[value="gemini"]')) ?? '').toMatch(/not configured/)
    await page.getByLabel('Provider').selectOption('gemini')
    expect(await page.getAttribute('#model', 'placeholder')).toBe('default: gemini-mock')
  })

  test('SSE parser: CRLF/LF/CR, comments, multi-line data, any split point', async ({
    page,
    consoleErrors,
  }, testInfo) => {
    await openPage(page)
    const stream = Buffer.concat(crlfWrites()).toString('utf8')
    const result = await page.evaluate((text) => {
      const { createSSEParser } = (window as unknown as { StreamTestPage: { createSSEParser: Function } })
        .StreamTestPage
      const parse = (pieces: string[]) => {
        const out: string[] = []
        const p = createSSEParser((e: { type: string; data: string }) => out.push(`${e.type}|${e.data}`))
        for (const piece of pieces) p.push(piece)
        p.end()
        return out
      }
      const whole = parse([text])
      const mismatches: number[] = []
      for (let i = 1; i < text.length; i++) {
        if (JSON.stringify(parse([text.slice(0, i), text.slice(i)])) !== JSON.stringify(whole)) mismatches.push(i)
      }
      const byChar = parse([...text])
      const discarded: string[] = []
      const tail = createSSEParser(
        () => {},
        (d: string) => discarded.push(d),
      )
      tail.push('data: {"chunk":"x"}\n')
      tail.end()
      return { whole, mismatches, byChar, discarded }
    }, stream)
    expect(result.mismatches).toEqual([])
    expect(result.byChar).toEqual(result.whole)
    const chunks = result.whole.map((e) => JSON.parse(e.split('|').slice(1).join('|')).chunk).join('')
    expect(chunks).toBe(CRLF_TEXT)
    expect(result.whole.length).toBe(7)
    expect(result.discarded, 'an event without its blank line is discarded, as EventSource does').toEqual([
      '{"chunk":"x"}',
    ])
  })

  for (const transport of TRANSPORTS) {
    test(`${transport}: streams partial renders, final text, stats and final metadata`, async ({
      page,
      consoleErrors,
    }, testInfo) => {
      await openPage(page)
      const question = 'Xin chào, 你好 🚀'
      await fillForm(page, { provider: 'gemini', question, transport })
      await recordAnswerSamples(page)
      await clickStream(page)
      expect(await waitForFinal(page), await errorText(page)).toBe('done')
      const expected = echoChunks(question).join('')
      expect(await answerText(page)).toBe(expected)
      const samples = await answerSamples(page)
      const partial = new Set(samples.map((s) => s.text).filter((t) => t !== expected && expected.startsWith(t)))
      expect(partial.size >= 2, `at least two partial renders, got ${JSON.stringify(samples)}`).toBeTruthy()
      const s = await stats(page)
      expect(s.chunks).toBe('3')
      expect(s.chars).toBe(String([...expected].length))
      expect(s.ttfc).toMatch(/\d+ m?s/)
      expect(s.elapsed).toMatch(/\d/)
      expect(s.rate).toMatch(/^\d+(\.\d)?$/)
      expect(s.meta).toMatch(/provider: gemini/)
      expect(s.meta).toMatch(/finish: stop/)
      expect(await page.getByRole('button', { name: 'Stop' }).isDisabled()).toBe(true)
      expect(await page.getByRole('button', { name: /Stream/ }).isEnabled()).toBe(true)
      const req = mock.requests().at(-1)!
      expect(req.method).toBe(transport === 'fetch' ? 'POST' : 'GET')
      expect(req.userInput).toBe(question)
      expect(req.provider).toBe('gemini')
      expect(consoleErrors).toEqual([])
    })

    test(`${transport}: CRLF, pings, multi-line data and split UTF-8 render exactly`, async ({
      page,
      consoleErrors,
    }, testInfo) => {
      await openPage(page)
      await fillForm(page, { question: 'crlf', transport })
      await clickStream(page)
      expect(await waitForFinal(page), await errorText(page)).toBe('done')
      expect(await answerText(page)).toBe(CRLF_TEXT)
      const s = await stats(page)
      expect(s.chunks).toBe('6')
      expect(s.meta).toMatch(/usage: prompt_tokens=3, completion_tokens=4, total_tokens=7/)
    })

    test(`${transport}: model output is shown as text, never as HTML`, async ({ page, consoleErrors }, testInfo) => {
      await openPage(page)
      await fillForm(page, { question: 'xss', transport })
      await clickStream(page)
      expect(await waitForFinal(page)).toBe('done')
      expect(await answerText(page)).toBe(XSS_CHUNKS.join(''))
      expect(await page.locator('#answer *').count(), 'no element inside the answer').toBe(0)
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBe(undefined)
    })

    test(`${transport}: a 400 shows the gateway's message naming the field`, async ({
      page,
      consoleErrors,
    }, testInfo) => {
      await openPage(page)
      await fillForm(page, { question: '   ', transport })
      await clickStream(page)
      expect(await waitForFinal(page)).toBe('error')
      const text = await errorText(page)
      expect(text).toMatch(/HTTP 400/)
      expect(text).toMatch(/user_input/)
      expect(text).toMatch(/must not be empty/)
      expect(await page.getByTestId('error-issue').count()).toBe(1)
      await screenshot(page, `mock-400-${transport}`, testInfo)
    })

    test(`${transport}: an error event is shown and the partial text kept`, async ({
      page,
      consoleErrors,
    }, testInfo) => {
      await openPage(page)
      await fillForm(page, { question: 'error', transport })
      await clickStream(page)
      expect(await waitForFinal(page)).toBe('error')
      expect((await errorText(page)).includes(ERROR_MESSAGE), await errorText(page)).toBeTruthy()
      expect(await answerText(page)).toBe('partial ')
    })

    test(`${transport}: a stream that ends without done, or sends non-JSON, is an error`, async ({
      page,
      consoleErrors,
    }, testInfo) => {
      await openPage(page)
      await fillForm(page, { question: 'nodone', transport })
      await clickStream(page)
      expect(await waitForFinal(page)).toBe('error')
      expect(await errorText(page)).toMatch(/ended before its final "done" event/)
      expect(await answerText(page)).toBe('half')
      const before = mock.requests().length
      await page.waitForTimeout(300) // an EventSource that was not closed would reconnect
      expect(mock.requests().length, 'no reconnect after the error').toBe(before)

      await fillForm(page, { question: 'notjson' })
      await clickStream(page)
      expect(await waitForFinal(page)).toBe('error')
      expect(await errorText(page)).toMatch(/not JSON/)
    })

    test(`${transport}: Stop aborts the request and shows "stopped"`, async ({ page, consoleErrors }, testInfo) => {
      await openPage(page)
      mock.clear()
      await fillForm(page, { question: 'slow', transport })
      await clickStream(page)
      await page.waitForFunction(() => (document.getElementById('answer')?.textContent ?? '').includes('tick 3 '))
      await page.getByRole('button', { name: 'Stop' }).click()
      expect(await waitForFinal(page)).toBe('stopped')
      expect(await page.textContent('#state')).toBe('stopped')
      const text = await answerText(page)
      await until(() => mock.requests()[0]?.clientClosedEarly, 5000, 'the mock to see the client close')
      await page.waitForTimeout(400)
      expect(await answerText(page), 'no text after Stop').toBe(text)
      expect(mock.requests().length, 'no reconnect after Stop').toBe(1)
    })

    test(`${transport}: an unreachable server is reported plainly`, async ({ page, consoleErrors }, testInfo) => {
      await openPage(page)
      await fillForm(page, { server: 'http://127.0.0.1:9', question: 'hello', transport })
      await clickStream(page)
      expect(await waitForFinal(page)).toBe('error')
      expect(await errorText(page)).toMatch(/Could not connect to http:\/\/127\.0\.0\.1:9/)
    })
  }

  test('an invalid Server URL is reported without a request; Clear resets the page', async ({
    page,
    consoleErrors,
  }, testInfo) => {
    await openPage(page)
    const before = mock.requests().length
    await fillForm(page, { server: 'not a url', question: 'hello' })
    await clickStream(page)
    expect(await waitForFinal(page)).toBe('error')
    expect(await errorText(page)).toMatch(/Invalid Server URL/)
    await fillForm(page, { server: 'ftp://127.0.0.1/' })
    await clickStream(page)
    expect(await errorText(page)).toMatch(/must start with http:\/\/ or https:\/\//)
    expect(mock.requests().length).toBe(before)
    await page.getByRole('button', { name: 'Clear' }).click()
    expect(await page.getAttribute('#state', 'data-state')).toBe('idle')
    expect(await errorText(page)).toBe('')
    expect(await answerText(page)).toBe('')
  })

  test('Ctrl+Enter and Cmd+Enter in the question start streaming; Escape stops', async ({
    page,
    consoleErrors,
  }, testInfo) => {
    await openPage(page)
    await fillForm(page, { question: 'keyboard' })
    await page.getByLabel('Question').press('Control+Enter')
    expect(await waitForFinal(page)).toBe('done')
    expect(await answerText(page)).toBe(echoChunks('keyboard').join(''))
    await page.getByLabel('Question').fill('keyboard two')
    await page.getByLabel('Question').press('Meta+Enter')
    await page.waitForFunction(() => document.getElementById('answer')?.textContent === 'Echo: keyboard two ✓')
    expect(await waitForFinal(page)).toBe('done')
    await page.getByLabel('Question').fill('slow')
    await page.getByLabel('Question').press('Control+Enter')
    await page.waitForFunction(() => (document.getElementById('answer')?.textContent ?? '').includes('tick 2 '))
    await page.keyboard.press('Escape')
    expect(await waitForFinal(page)).toBe('stopped')
  })

  test('opened from disk: defaults to http://localhost:8000 and streams with ?server=', async ({
    page,
    consoleErrors,
  }, testInfo) => {
    const file = pathToFileURL(PAGE_FILE).href
    await page.goto(file)
    expect(await page.inputValue('#server-url')).toBe('http://localhost:8000')
    await page.goto(
      `${file}?server=${encodeURIComponent(mock.url)}&transport=fetch&q=${encodeURIComponent('from disk')}`,
    )
    expect(await page.inputValue('#server-url')).toBe(mock.url)
    await clickStream(page)
    expect(await waitForFinal(page), await errorText(page)).toBe('done')
    expect(await answerText(page)).toBe(echoChunks('from disk').join(''))
    expect(mock.requests().at(-1)?.origin).toBe('null')
    await fillForm(page, { transport: 'eventsource', question: 'from disk, EventSource' })
    await clickStream(page)
    expect(await waitForFinal(page), await errorText(page)).toBe('done')
    expect(consoleErrors).toEqual([])
  })

  test('works at phone width (360 px): no sideways scrolling, controls visible', async ({
    page,
    consoleErrors,
  }, testInfo) => {
    await openPage(page, { width: 360, height: 780 })
    await fillForm(page, { question: 'crlf', transport: 'fetch' })
    await clickStream(page)
    expect(await waitForFinal(page)).toBe('done')
    expect(
      (await horizontalOverflow(page)) <= 0,
      `horizontal overflow ${await horizontalOverflow(page)} px`,
    ).toBeTruthy()
    for (const sel of ['#stream-btn', '#stop-btn', '#question', '#answer', '#stats']) {
      const box = await page.locator(sel).boundingBox()
      expect(
        box && box.x >= 0 && box.x + box.width <= 360,
        `${sel} inside the viewport: ${JSON.stringify(box)}`,
      ).toBeTruthy()
    }
    await screenshot(page, 'mock-done-360px', testInfo)
  })
})
