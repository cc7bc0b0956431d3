/**
 * The test page against a gateway whose API needs an access token (ACCESS_TOKENS): without the
 * token the page shows the 401's message, with it both transports stream the whole answer
 * (fetch sends `Authorization: Bearer`, EventSource `?access_token=`), and Stop's DELETE is
 * authorised too (the emulator sees the client leave).
 */
import { expectedAnswer, startEmulator, type Emulator } from '../../emulator/server.ts'
import { startGateway, type RunningGateway } from '../support/gateway.ts'
import { answerText, clickStream, errorText, expect, fillForm, test, waitForFinal } from './helpers.ts'

const TOKEN = 'browser-access-Qm4Zt8Lw2'
const TRANSPORTS = ['eventsource', 'fetch'] as const

test.describe('test page with access control (bun)', () => {
  let emu: Emulator
  let gw: RunningGateway

  test.beforeAll(async () => {
    emu = await startEmulator()
    gw = await startGateway({ runtime: 'bun', upstreamUrl: emu.url, vars: { ACCESS_TOKENS: TOKEN } })
  })

  test.afterAll(async () => {
    await gw?.stop()
    await emu?.close()
  })

  for (const transport of TRANSPORTS) {
    test(`${transport}: 401 without the token, the whole answer with it`, async ({ page }) => {
      await page.goto(`${gw.url}/test_stream.html`)
      const prompt = `Closed gateway ${transport} [emu delay=5]`
      await fillForm(page, { provider: 'gemini', question: prompt, transport })
      await clickStream(page)
      expect(await waitForFinal(page)).toBe('error')
      if (transport === 'fetch') expect(await errorText(page)).toContain('access token')
      expect(emu.requests()).toHaveLength(0)

      await page.getByLabel(/Access token/).fill(TOKEN)
      await clickStream(page)
      expect(await waitForFinal(page), await errorText(page)).toBe('done')
      expect(await answerText(page)).toBe(expectedAnswer(prompt, { provider: 'gemini' }))
      expect(emu.requests()).toHaveLength(1)
      emu.clearRequests()
    })
  }

  test('Stop sends an authorised DELETE: the upstream request is closed', async ({ page }) => {
    await page.goto(`${gw.url}/test_stream.html`)
    await page.getByLabel(/Access token/).fill(TOKEN)
    await fillForm(page, {
      provider: 'openai',
      question: 'Stop me with a token [emu delay=150 sentences=40]',
      transport: 'eventsource',
    })
    await clickStream(page)
    await expect.poll(() => answerText(page), { timeout: 15_000 }).not.toBe('')
    await page.getByRole('button', { name: 'Stop' }).click()
    const entry = await emu.waitForRequest((request) => request.clientClosedEarly, 3000)
    expect(entry.clientClosedEarly).toBe(true)
    emu.clearRequests()
  })
})
