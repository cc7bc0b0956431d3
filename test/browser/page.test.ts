/**
 * The test page on its own, against a scripted mock of the gateway API (mock-gateway.ts):
 * accessibility of the controls, SSE parsing edge cases for both transports, text-only
 * rendering, errors, Stop, keyboard, file:// and phone width.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { pathToFileURL } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import {
  PAGE_FILE,
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
  until,
  waitForFinal,
} from './helpers.ts'
import { CRLF_TEXT, ERROR_MESSAGE, XSS_CHUNKS, crlfWrites, echoChunks, startMockGateway, type MockGateway } from './mock-gateway.ts'

const TRANSPORTS = ['eventsource', 'fetch'] as const

let browser: Browser
let mock: MockGateway

before(async () => {
  browser = await launchBrowser()
  mock = await startMockGateway()
})

after(async () => {
  await browser?.close()
  await mock?.close()
})

async function openPage(opts: { width?: number; height?: number; query?: string } = {}) {
  const { context, page, consoleErrors } = await newPage(browser, opts)
  await page.goto(`${mock.url}/test_stream.html${opts.query ?? ''}`)
  return { context, page, consoleErrors }
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

describe('test page (mock gateway)', () => {
  test('has a title, headings, labelled controls and a polite live answer region', async () => {
    const { context, page, consoleErrors } = await openPage()
    try {
      assert.equal(await page.title(), 'LLM SSE Gateway – Stream test')
      assert.match((await page.getAttribute('html', 'lang')) ?? '', /^(en|vi)$/)
      assert.equal(await page.getByRole('heading', { level: 1 }).count(), 1)
      assert.equal(await page.evaluate(() => document.characterSet), 'UTF-8')
      for (const label of ['Server URL', 'Provider', 'Question']) {
        assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, `control labelled ${label}`)
      }
      assert.equal(await page.getByLabel(/^Model/).count(), 1)
      assert.equal(await page.getByRole('radio', { name: /EventSource/ }).count(), 1)
      assert.equal(await page.getByRole('radio', { name: /fetch/ }).count(), 1)
      assert.equal(await page.getByRole('button', { name: /Stream/ }).count(), 1)
      assert.equal(await page.getByRole('button', { name: 'Stop' }).count(), 1)
      assert.equal(await page.getByRole('button', { name: 'Stop' }).isDisabled(), true)
      assert.equal(await page.getAttribute('#answer', 'aria-live'), 'polite')
      assert.equal(await page.getAttribute('#error', 'role'), 'alert')
      // The same origin is the default server; the question is a multi-line textarea.
      assert.equal(await page.inputValue('#server-url'), mock.url)
      assert.equal(await page.evaluate(() => document.getElementById('question')?.tagName), 'TEXTAREA')
      // No external resources (offline machine): every script and stylesheet is local.
      const external = await page.evaluate(() =>
        [...document.querySelectorAll('script[src], link[href]')]
          .map((el) => (el as HTMLScriptElement).src || (el as HTMLLinkElement).href)
          .filter((u) => !u.startsWith(location.origin) && !u.startsWith('data:')),
      )
      assert.deepEqual(external, [])
      assert.deepEqual(consoleErrors, [])
    } finally {
      await context.close()
    }
  })

  test('GET /health preselects the default provider and shows model placeholders', async () => {
    const { context, page } = await openPage()
    try {
      await until(async () => (await page.textContent('#health-status'))?.includes('Gateway: ok'), 5000, 'health line')
      assert.equal(await page.inputValue('#provider'), 'openai')
      assert.equal(await page.getAttribute('#model', 'placeholder'), 'default: gpt-mock')
      assert.match((await page.textContent('#provider option[value="gemini"]')) ?? '', /not configured/)
      await page.getByLabel('Provider').selectOption('gemini')
      assert.equal(await page.getAttribute('#model', 'placeholder'), 'default: gemini-mock')
    } finally {
      await context.close()
    }
  })

  test('SSE parser: CRLF/LF/CR, comments, multi-line data, any split point', async () => {
    const { context, page } = await openPage()
    try {
      const stream = Buffer.concat(crlfWrites()).toString('utf8')
      const result = await page.evaluate((text) => {
        const { createSSEParser } = (window as unknown as { StreamTestPage: { createSSEParser: Function } }).StreamTestPage
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
        const tail = createSSEParser(() => {}, (d: string) => discarded.push(d))
        tail.push('data: {"chunk":"x"}\n')
        tail.end()
        return { whole, mismatches, byChar, discarded }
      }, stream)
      assert.deepEqual(result.mismatches, [])
      assert.deepEqual(result.byChar, result.whole)
      const chunks = result.whole.map((e) => JSON.parse(e.split('|').slice(1).join('|')).chunk).join('')
      assert.equal(chunks, CRLF_TEXT)
      assert.equal(result.whole.length, 7)
      assert.deepEqual(result.discarded, ['{"chunk":"x"}'], 'an event without its blank line is discarded, as EventSource does')
    } finally {
      await context.close()
    }
  })

  for (const transport of TRANSPORTS) {
    test(`${transport}: streams partial renders, final text, stats and final metadata`, async () => {
      const { context, page, consoleErrors } = await openPage()
      try {
        const question = 'Xin chào, 你好 🚀'
        await fillForm(page, { provider: 'gemini', question, transport })
        await recordAnswerSamples(page)
        await clickStream(page)
        assert.equal(await waitForFinal(page), 'done', await errorText(page))
        const expected = echoChunks(question).join('')
        assert.equal(await answerText(page), expected)
        const samples = await answerSamples(page)
        const partial = new Set(samples.map((s) => s.text).filter((t) => t !== expected && expected.startsWith(t)))
        assert.ok(partial.size >= 2, `at least two partial renders, got ${JSON.stringify(samples)}`)
        const s = await stats(page)
        assert.equal(s.chunks, '3')
        assert.equal(s.chars, String([...expected].length))
        assert.match(s.ttfc, /\d+ m?s/)
        assert.match(s.elapsed, /\d/)
        assert.match(s.rate, /^\d+(\.\d)?$/)
        assert.match(s.meta, /provider: gemini/)
        assert.match(s.meta, /finish: stop/)
        assert.equal(await page.getByRole('button', { name: 'Stop' }).isDisabled(), true)
        assert.equal(await page.getByRole('button', { name: /Stream/ }).isEnabled(), true)
        const req = mock.requests().at(-1)!
        assert.equal(req.method, transport === 'fetch' ? 'POST' : 'GET')
        assert.equal(req.userInput, question)
        assert.equal(req.provider, 'gemini')
        assert.deepEqual(consoleErrors, [])
      } finally {
        await context.close()
      }
    })

    test(`${transport}: CRLF, pings, multi-line data and split UTF-8 render exactly`, async () => {
      const { context, page } = await openPage()
      try {
        await fillForm(page, { question: 'crlf', transport })
        await clickStream(page)
        assert.equal(await waitForFinal(page), 'done', await errorText(page))
        assert.equal(await answerText(page), CRLF_TEXT)
        const s = await stats(page)
        assert.equal(s.chunks, '6')
        assert.match(s.meta, /usage: prompt_tokens=3, completion_tokens=4, total_tokens=7/)
      } finally {
        await context.close()
      }
    })

    test(`${transport}: model output is shown as text, never as HTML`, async () => {
      const { context, page } = await openPage()
      try {
        await fillForm(page, { question: 'xss', transport })
        await clickStream(page)
        assert.equal(await waitForFinal(page), 'done')
        assert.equal(await answerText(page), XSS_CHUNKS.join(''))
        assert.equal(await page.locator('#answer *').count(), 0, 'no element inside the answer')
        assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined)
      } finally {
        await context.close()
      }
    })

    test(`${transport}: a 400 shows the gateway's message naming the field`, async () => {
      const { context, page } = await openPage()
      try {
        await fillForm(page, { question: '   ', transport })
        await clickStream(page)
        assert.equal(await waitForFinal(page), 'error')
        const text = await errorText(page)
        assert.match(text, /HTTP 400/)
        assert.match(text, /user_input/)
        assert.match(text, /must not be empty/)
        assert.equal(await page.getByTestId('error-issue').count(), 1)
        await screenshot(page, `mock-400-${transport}`)
      } finally {
        await context.close()
      }
    })

    test(`${transport}: an error event is shown and the partial text kept`, async () => {
      const { context, page } = await openPage()
      try {
        await fillForm(page, { question: 'error', transport })
        await clickStream(page)
        assert.equal(await waitForFinal(page), 'error')
        assert.ok((await errorText(page)).includes(ERROR_MESSAGE), await errorText(page))
        assert.equal(await answerText(page), 'partial ')
      } finally {
        await context.close()
      }
    })

    test(`${transport}: a stream that ends without done, or sends non-JSON, is an error`, async () => {
      const { context, page } = await openPage()
      try {
        await fillForm(page, { question: 'nodone', transport })
        await clickStream(page)
        assert.equal(await waitForFinal(page), 'error')
        assert.match(await errorText(page), /ended before its final "done" event/)
        assert.equal(await answerText(page), 'half')
        const before = mock.requests().length
        await page.waitForTimeout(300) // an EventSource that was not closed would reconnect
        assert.equal(mock.requests().length, before, 'no reconnect after the error')

        await fillForm(page, { question: 'notjson' })
        await clickStream(page)
        assert.equal(await waitForFinal(page), 'error')
        assert.match(await errorText(page), /not JSON/)
      } finally {
        await context.close()
      }
    })

    test(`${transport}: Stop aborts the request and shows "stopped"`, async () => {
      const { context, page } = await openPage()
      try {
        mock.clear()
        await fillForm(page, { question: 'slow', transport })
        await clickStream(page)
        await page.waitForFunction(() => (document.getElementById('answer')?.textContent ?? '').includes('tick 3 '))
        await page.getByRole('button', { name: 'Stop' }).click()
        assert.equal(await waitForFinal(page), 'stopped')
        assert.equal(await page.textContent('#state'), 'stopped')
        const text = await answerText(page)
        await until(() => mock.requests()[0]?.clientClosedEarly, 5000, 'the mock to see the client close')
        await page.waitForTimeout(400)
        assert.equal(await answerText(page), text, 'no text after Stop')
        assert.equal(mock.requests().length, 1, 'no reconnect after Stop')
      } finally {
        await context.close()
      }
    })

    test(`${transport}: an unreachable server is reported plainly`, async () => {
      const { context, page } = await openPage()
      try {
        await fillForm(page, { server: 'http://127.0.0.1:9', question: 'hello', transport })
        await clickStream(page)
        assert.equal(await waitForFinal(page), 'error')
        assert.match(await errorText(page), /Could not connect to http:\/\/127\.0\.0\.1:9/)
      } finally {
        await context.close()
      }
    })
  }

  test('an invalid Server URL is reported without a request; Clear resets the page', async () => {
    const { context, page } = await openPage()
    try {
      const before = mock.requests().length
      await fillForm(page, { server: 'not a url', question: 'hello' })
      await clickStream(page)
      assert.equal(await waitForFinal(page), 'error')
      assert.match(await errorText(page), /Invalid Server URL/)
      await fillForm(page, { server: 'ftp://127.0.0.1/' })
      await clickStream(page)
      assert.match(await errorText(page), /must start with http:\/\/ or https:\/\//)
      assert.equal(mock.requests().length, before)
      await page.getByRole('button', { name: 'Clear' }).click()
      assert.equal(await page.getAttribute('#state', 'data-state'), 'idle')
      assert.equal(await errorText(page), '')
      assert.equal(await answerText(page), '')
    } finally {
      await context.close()
    }
  })

  test('Ctrl+Enter and Cmd+Enter in the question start streaming; Escape stops', async () => {
    const { context, page } = await openPage()
    try {
      await fillForm(page, { question: 'keyboard' })
      await page.getByLabel('Question').press('Control+Enter')
      assert.equal(await waitForFinal(page), 'done')
      assert.equal(await answerText(page), echoChunks('keyboard').join(''))
      await page.getByLabel('Question').fill('keyboard two')
      await page.getByLabel('Question').press('Meta+Enter')
      await page.waitForFunction(() => document.getElementById('answer')?.textContent === 'Echo: keyboard two ✓')
      assert.equal(await waitForFinal(page), 'done')
      await page.getByLabel('Question').fill('slow')
      await page.getByLabel('Question').press('Control+Enter')
      await page.waitForFunction(() => (document.getElementById('answer')?.textContent ?? '').includes('tick 2 '))
      await page.keyboard.press('Escape')
      assert.equal(await waitForFinal(page), 'stopped')
    } finally {
      await context.close()
    }
  })

  test('opened from disk: defaults to http://localhost:8000 and streams with ?server=', async () => {
    const { context, page, consoleErrors } = await newPage(browser)
    try {
      const file = pathToFileURL(PAGE_FILE).href
      await page.goto(file)
      assert.equal(await page.inputValue('#server-url'), 'http://localhost:8000')
      await page.goto(`${file}?server=${encodeURIComponent(mock.url)}&transport=fetch&q=${encodeURIComponent('from disk')}`)
      assert.equal(await page.inputValue('#server-url'), mock.url)
      await clickStream(page)
      assert.equal(await waitForFinal(page), 'done', await errorText(page))
      assert.equal(await answerText(page), echoChunks('from disk').join(''))
      assert.equal(mock.requests().at(-1)?.origin, 'null')
      await fillForm(page, { transport: 'eventsource', question: 'from disk, EventSource' })
      await clickStream(page)
      assert.equal(await waitForFinal(page), 'done', await errorText(page))
      assert.deepEqual(consoleErrors, [])
    } finally {
      await context.close()
    }
  })

  test('works at phone width (360 px): no sideways scrolling, controls visible', async () => {
    const { context, page } = await openPage({ width: 360, height: 780 })
    try {
      await fillForm(page, { question: 'crlf', transport: 'fetch' })
      await clickStream(page)
      assert.equal(await waitForFinal(page), 'done')
      assert.ok((await horizontalOverflow(page)) <= 0, `horizontal overflow ${await horizontalOverflow(page)} px`)
      for (const sel of ['#stream-btn', '#stop-btn', '#question', '#answer', '#stats']) {
        const box = await page.locator(sel).boundingBox()
        assert.ok(box && box.x >= 0 && box.x + box.width <= 360, `${sel} inside the viewport: ${JSON.stringify(box)}`)
      }
      await screenshot(page, 'mock-done-360px')
    } finally {
      await context.close()
    }
  })
})
