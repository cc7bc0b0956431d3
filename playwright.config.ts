/**
 * Browser tests (`npm run test:e2e`): @playwright/test driving Debian's chromium, never a
 * downloaded browser (`apt-get install -y chromium`; no `playwright install`).
 *
 * @example
 * npm run test:e2e                                  # every test/browser/*.test.ts
 * npm run test:e2e -- page.test.ts -g Stop          # one file, tests whose title matches
 * E2E_RUNTIMES=bun npm run test:e2e -- gateway      # the real gateway on Bun only
 */
import { existsSync } from 'node:fs'
import { defineConfig } from '@playwright/test'

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
if (!existsSync(executablePath)) {
  throw new Error(
    `${executablePath} is missing: install it with \`apt-get install -y chromium\` (never \`npx playwright install\`)`,
  )
}

export default defineConfig({
  testDir: './test/browser',
  testMatch: '*.test.ts',
  outputDir: './test-results/playwright',
  // Two cores shared with the gateway, the emulator and wrangler: one browser at a time.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  timeout: Number(process.env.E2E_TEST_TIMEOUT_MS ?? 120_000),
  expect: { timeout: 15_000 },
  reporter: [['list'], ['html', { open: 'never', outputFolder: './test-results/playwright-report' }]],
  use: {
    browserName: 'chromium',
    viewport: { width: 1100, height: 900 },
    deviceScaleFactor: 1,
    actionTimeout: 15_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath,
      args: [
        '--no-sandbox',
        '--headless',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
})
