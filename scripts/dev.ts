/**
 * `npm run dev`: `wrangler dev` (on http://localhost:8000, see wrangler.jsonc) with Wrangler's
 * telemetry and its download of the `request.cf` data turned off, on any OS: an npm script's
 * `NAME=value command` prefix works only in POSIX shells. Values already in the environment win.
 *
 *   npm run dev [-- --port 8787 --var DEFAULT_PROVIDER:openai]
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const manifest = createRequire(import.meta.url).resolve('wrangler/package.json')
const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> }
const wrangler = join(dirname(manifest), bin.wrangler ?? 'bin/wrangler.js')

const env = {
  ...process.env,
  CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? 'false',
  WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? 'false',
}
const child = spawn(process.execPath, [wrangler, 'dev', ...process.argv.slice(2)], { stdio: 'inherit', env })

// Ctrl-C reaches wrangler directly (same terminal); a SIGTERM sent to this launcher is passed on.
process.on('SIGINT', () => {})
process.on('SIGTERM', () => child.kill('SIGTERM'))
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
