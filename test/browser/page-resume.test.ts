/**
 * The test page's conversation and resumable-stream behaviour against the mock gateway
 * (mock-gateway.ts, whose resumable scripts follow issue 10: ids, X-Stream-Id, Last-Event-ID,
 * 204, DELETE): every field sent by both transports, multi-turn `messages`, "reconnecting…"
 * and "Resumed after event N" with the whole answer exactly once, an expired stream, and Stop
 * deleting the stream. Screenshots at desktop and 360 px.
 */
import type { Page } from '@playwright/test'
import {
  answerText,
  clickStream,
  errorText,
  expect,
  fillForm,
  horizontalOverflow,
  screenshot,
  startStaticServer,
  test,
  waitForFinal,
} from './helpers.ts'
import { RESUME_CHUNKS, echoChunks, startMockGateway, type MockGateway } from './mock-gateway.ts'

const TRANSPORTS = ['eventsource', 'fetch'] as const

let mock: MockGateway

test.beforeAll(async () => {
  mock = await startMockGateway()
})

test.afterAll(async () => {
  await mock?.close()
})

/** Records every state the page shows (#state), in order, without repeats. */
async function recordStates(page: Page): Promise<void> {
  await page.evaluate(() => {
    const state = document.getElementById('state')!
    const w = window as unknown as { __states: string[] }
    w.__states = [state.textContent ?? '']
    new MutationObserver(() => {
      const text = state.textContent ?? ''
      if (w.__states.at(-1) !== text) w.__states.push(text)
    }).observe(state, { childList: true, characterData: true, subtree: true })
  })
}

const states = (page: Page) => page.evaluate(() => (window as unknown as { __states: string[] }).__states)
const turns = (page: Page) => page.getByTestId('conversation').locator('li').allTextContents()

for (const transport of TRANSPORTS) {
  test(`${transport}: sends model, system, temperature and max_tokens`, async ({ page }) => {
    await page.goto(`${mock.url}/test_stream.html`)
    await fillForm(page, { provider: 'openai', model: 'gpt-mock-2', question: 'fields', transport })
    await page.locator('#advanced summary').click()
    await page.getByLabel('System instruction').fill('Be brief. Xin chào!')
    await page.getByLabel('Temperature').fill('0.3')
    await page.getByLabel('Max tokens').fill('64')
    await clickStream(page)
    expect(await waitForFinal(page)).toBe('done')
    const body = mock.requests().at(-1)!.body as Record<string, unknown>
    const expected = {
      user_input: 'fields',
      provider: 'openai',
      model: 'gpt-mock-2',
      system: 'Be brief. Xin chào!',
      temperature: 0.3,
      max_tokens: 64,
    }
    // GET carries text: the gateway's query schema parses the numbers.
    expect(body).toEqual(transport === 'fetch' ? expected : { ...expected, temperature: '0.3', max_tokens: '64' })
  })

  test(`${transport}: keeps a multi-turn conversation and sends it as messages; New conversation forgets it`, async ({
    page,
  }) => {
    await page.goto(`${mock.url}/test_stream.html`)
    await expect(page.getByTestId('conversation-count')).toHaveText(/No earlier turns/)
    await fillForm(page, { question: 'first question', transport })
    await clickStream(page)
    expect(await waitForFinal(page)).toBe('done')
    expect(mock.requests().at(-1)!.messages).toBeUndefined()
    const first = echoChunks('first question').join('')
    expect(await turns(page)).toEqual([`Youfirst question`, `Assistant${first}`])

    await fillForm(page, { question: 'second question' })
    await clickStream(page)
    expect(await waitForFinal(page)).toBe('done')
    expect(mock.requests().at(-1)!.messages).toEqual([
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: first },
    ])
    await expect(page.getByTestId('conversation-count')).toHaveText(
      '2 earlier turns, sent as messages with the next question.',
    )
    expect(await page.getByTestId('turn-user').count()).toBe(2)
    expect(await page.getByTestId('turn-assistant').count()).toBe(2)
    await screenshot(page, `mock-conversation-${transport}`, test.info())

    await page.getByRole('button', { name: 'New conversation' }).click()
    expect(await turns(page)).toEqual([])
    await fillForm(page, { question: 'third question' })
    await clickStream(page)
    expect(await waitForFinal(page)).toBe('done')
    expect(mock.requests().at(-1)!.messages).toBeUndefined()
  })

  test(`${transport}: a dropped stream shows "reconnecting…", resumes after event 2 and shows the answer exactly once`, async ({
    page,
    consoleErrors,
  }) => {
    await page.goto(`${mock.url}/test_stream.html`)
    await recordStates(page)
    const before = mock.requests().length
    await fillForm(page, { question: 'resume please', transport })
    await clickStream(page)
    expect(await waitForFinal(page), await errorText(page)).toBe('done')
    expect(await answerText(page)).toBe(RESUME_CHUNKS.join(''))
    expect(await page.textContent('#stat-chunks')).toBe(String(RESUME_CHUNKS.length))
    expect(await states(page)).toEqual(['idle', 'connecting', 'streaming', 'reconnecting…', 'streaming', 'done'])
    await expect(page.getByTestId('resume-status')).toHaveText('Resumed after event 2 (1 reconnect).')
    const stream = mock.streams.streams().at(-1)!
    expect(mock.requests().length - before, 'one answer started; the resume started nothing').toBe(1)
    expect(stream.resumedFrom).toEqual([`${stream.id}:2`])
    expect(consoleErrors).toEqual([])
    await screenshot(page, `mock-resumed-${transport}`, test.info())
  })

  test(`${transport}: two drops in a row are both resumed`, async ({ page }) => {
    await page.goto(`${mock.url}/test_stream.html`)
    await fillForm(page, { question: 'resume twice', transport })
    await clickStream(page)
    expect(await waitForFinal(page), await errorText(page)).toBe('done')
    expect(await answerText(page)).toBe(RESUME_CHUNKS.join(''))
    const stream = mock.streams.streams().at(-1)!
    expect(stream.resumedFrom).toEqual([`${stream.id}:1`, `${stream.id}:2`])
    await expect(page.getByTestId('resume-status')).toHaveText('Resumed after event 2 (2 reconnects).')
  })

  test(`${transport}: a stream the gateway cannot resume (204) is an error that keeps the partial text`, async ({
    page,
  }) => {
    await page.goto(`${mock.url}/test_stream.html`)
    const before = mock.requests().length
    await fillForm(page, { question: 'expire', transport })
    await clickStream(page)
    expect(await waitForFinal(page)).toBe('error')
    expect(await errorText(page)).toMatch(/ended before its final "done" event and the gateway could not resume it/)
    expect(await answerText(page)).toBe(RESUME_CHUNKS.slice(0, 2).join(''))
    await page.waitForTimeout(300)
    expect(mock.requests().length - before, 'no new answer after the 204').toBe(1)
  })

  test(`${transport}: Stop sends DELETE /api/streams/{id} and nothing reconnects`, async ({ page }) => {
    await page.goto(`${mock.url}/test_stream.html`)
    const before = mock.requests().length
    await fillForm(page, { question: 'endless', transport })
    await clickStream(page)
    await page.waitForFunction(() => (document.getElementById('answer')?.textContent ?? '').includes('tick 3 '))
    await page.getByRole('button', { name: 'Stop' }).click()
    expect(await waitForFinal(page)).toBe('stopped')
    const stream = mock.streams.streams().at(-1)!
    await expect.poll(() => stream.deleted).toBe(true)
    await expect(page.getByTestId('meta')).toHaveText(new RegExp(`DELETE /api/streams/${stream.id} sent\\.`))
    const text = await answerText(page)
    await page.waitForTimeout(400)
    expect(await answerText(page)).toBe(text)
    expect(stream.resumedFrom).toEqual([])
    expect(mock.requests().length - before).toBe(1)
  })
}

test('from another origin: both transports resume, and Stop deletes the stream (CORS preflights for Last-Event-ID and DELETE)', async ({
  page,
  consoleErrors,
}) => {
  const other = await startStaticServer()
  try {
    await page.goto(`${other.url}/test_stream.html?server=${encodeURIComponent(mock.url)}`)
    for (const transport of TRANSPORTS) {
      await fillForm(page, { question: `resume across origins (${transport})`, transport })
      await clickStream(page)
      expect(await waitForFinal(page), await errorText(page)).toBe('done')
      expect(await answerText(page)).toBe(RESUME_CHUNKS.join(''))
      const stream = mock.streams.streams().at(-1)!
      expect(stream.resumedFrom).toEqual([`${stream.id}:2`])
      expect(mock.requests().at(-1)!.origin).toBe(other.url)

      await fillForm(page, { question: `endless across origins (${transport})` })
      await clickStream(page)
      await page.waitForFunction(() => (document.getElementById('answer')?.textContent ?? '').includes('tick 2 '))
      await page.getByRole('button', { name: 'Stop' }).click()
      const endless = mock.streams.streams().at(-1)!
      await expect.poll(() => endless.deleted).toBe(true)
    }
    expect(consoleErrors).toEqual([])
  } finally {
    await other.close()
  }
})

test('phone width (360 px): the resumed answer and the conversation fit', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 780 })
  await page.goto(`${mock.url}/test_stream.html`)
  await fillForm(page, { question: 'hello there', transport: 'fetch' })
  await clickStream(page)
  expect(await waitForFinal(page)).toBe('done')
  await fillForm(page, { question: 'resume please' })
  await clickStream(page)
  expect(await waitForFinal(page)).toBe('done')
  await expect(page.getByTestId('resume-status')).toHaveText('Resumed after event 2 (1 reconnect).')
  expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0)
  for (const sel of ['#new-conversation-btn', '#conversation', '#resume-status', '#answer']) {
    const box = await page.locator(sel).boundingBox()
    expect(
      box && box.x >= 0 && box.x + box.width <= 360,
      `${sel} inside the viewport: ${JSON.stringify(box)}`,
    ).toBeTruthy()
  }
  await screenshot(page, 'mock-resumed-conversation-360px', test.info())
})
