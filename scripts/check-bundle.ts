/**
 * The Worker's size budget: bundles it the way `wrangler deploy` would (`--dry-run`, nothing is
 * uploaded) and fails when the gzip size of its code passes {@link BUDGET_GZIP_KIB}. Part of
 * `npm run check` and CI.
 *
 *   node scripts/check-bundle.ts [--outdir dist/worker]
 */
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'

/**
 * The budget, in KiB of gzip. Set from the size on 2026-11-27 (114 KiB: no SDKs, zod without locales) plus a
 * little headroom, raised on 2026-12-06 to 145 KiB when the Worker gained the Responses API (its parser,
 * renderers, background mode and conversations: about 16 KiB), token budgets (the ledger's Durable Object)
 * and the bounded stream log (138 KiB in all); lower it whenever the Worker shrinks so that growth is noticed.
 */
export const BUDGET_GZIP_KIB = 145

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({ options: { outdir: { type: 'string', default: 'dist/worker' } } })
const outdir = resolve(root, values.outdir)

const manifest = createRequire(import.meta.url).resolve('wrangler/package.json')
const wrangler = join(
  dirname(manifest),
  (JSON.parse(readFileSync(manifest, 'utf8')) as { bin: { wrangler: string } }).bin.wrangler,
)

rmSync(outdir, { recursive: true, force: true })
// --env "": the top-level configuration (the one the Deploy button and `npm run deploy` use).
const build = spawnSync(process.execPath, [wrangler, 'deploy', '--dry-run', '--env', '', '--outdir', outdir], {
  cwd: root,
  encoding: 'utf8',
  env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
})
if (build.status !== 0) {
  console.error(`wrangler deploy --dry-run failed:\n${build.stdout}\n${build.stderr}`)
  process.exit(1)
}

const code = readdirSync(outdir).filter((file) => /\.(m?js|wasm)$/.test(file))
const raw = code.reduce((sum, file) => sum + readFileSync(join(outdir, file)).byteLength, 0)
const gzip = code.reduce((sum, file) => sum + gzipSync(readFileSync(join(outdir, file))).byteLength, 0)
const kib = (bytes: number) => (bytes / 1024).toFixed(1)
const maps = readdirSync(outdir).filter((file) => file.endsWith('.map'))
console.log(
  `Worker bundle: ${kib(raw)} KiB, ${kib(gzip)} KiB gzip (budget ${BUDGET_GZIP_KIB} KiB); ${code.join(', ')}` +
    (maps.length > 0 ? ` + source map ${maps.join(', ')}` : ''),
)
if (gzip > BUDGET_GZIP_KIB * 1024) {
  console.error(
    `The Worker grew past its budget: ${kib(gzip)} KiB gzip > ${BUDGET_GZIP_KIB} KiB. Find what grew (${join(values.outdir, code[0] ?? '')}), or raise BUDGET_GZIP_KIB in scripts/check-bundle.ts with a reason.`,
  )
  process.exit(1)
}
