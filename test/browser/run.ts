/**
 * Entry point of `npm run test:e2e`: runs the real-browser tests (test/browser/*.test.ts)
 * with node:test, one file at a time, and exits non-zero when any fails.
 *
 *   npm run test:e2e
 *   npm run test:e2e -- --test-name-pattern=Stop     # extra args go to `node --test`
 *   E2E_RUNTIME=bun npm run test:e2e                   # gateway runtime (default: workers)
 *   E2E_FILES=page npm run test:e2e                     # only test/browser/page.test.ts
 *
 * Needs /usr/bin/chromium (Debian's `chromium` package); screenshots go to test-results/browser/.
 */
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CHROMIUM_PATH, ROOT, chromiumMissingMessage } from './helpers.ts'

const here = dirname(fileURLToPath(import.meta.url))
const only = (process.env.E2E_FILES ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)
const files = readdirSync(here)
  .filter((f) => f.endsWith('.test.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort()
  .map((f) => relative(ROOT, join(here, f)))

const missing = chromiumMissingMessage()
if (missing) {
  console.error(missing)
  console.error('0 passed, 1 failed')
  process.exit(1)
}
if (files.length === 0) {
  console.error('no test files matched')
  console.error('0 passed, 1 failed')
  process.exit(1)
}

console.log(`browser: ${CHROMIUM_PATH}; files: ${files.join(', ')}`)
const args = [
  '--test',
  '--test-reporter=spec',
  '--test-concurrency=1',
  `--test-timeout=${process.env.E2E_TEST_TIMEOUT_MS ?? 180_000}`,
  ...process.argv.slice(2),
  ...files,
]
const child = spawn(process.execPath, args, { cwd: ROOT, stdio: 'inherit', env: process.env })
const forward = (signal: NodeJS.Signals) => () => child.kill(signal)
process.on('SIGINT', forward('SIGINT'))
process.on('SIGTERM', forward('SIGTERM'))
child.on('exit', (code, signal) => {
  if (signal) {
    console.error(`node --test ended by ${signal}`)
    process.exit(1)
  }
  process.exit(code ?? 1)
})
