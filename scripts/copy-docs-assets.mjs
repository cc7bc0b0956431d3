/**
 * Copies the API docs' Swagger UI files from the pinned `swagger-ui-dist` package into
 * `static/docs/assets/` (git-ignored), where Workers static assets and the Bun/Node servers
 * serve them: `/docs` then loads nothing from another origin.
 *
 * Runs as `postinstall` and as wrangler's `build.command`; plain JavaScript so that any Node
 * (even one older than the project's 22.18) runs it at install time. Idempotent: a file that is
 * already identical is left alone, and a new one is written under a temporary name and renamed,
 * so several wrangler processes starting at once never serve a half-written file.
 *
 *   node scripts/copy-docs-assets.mjs
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The files /docs references (src/routes/docs-page.ts); the test suite checks that each is served. */
const DOCS_ASSET_FILES = ['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png', 'LICENSE', 'NOTICE']

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const target = join(root, 'static/docs/assets')

function packageDir() {
  try {
    return dirname(createRequire(join(root, 'package.json')).resolve('swagger-ui-dist/package.json'))
  } catch {
    console.error('copy-docs-assets: the swagger-ui-dist package is not installed; run `npm ci` (it is a dependency).')
    process.exit(1)
  }
}

const source = packageDir()
mkdirSync(target, { recursive: true })
let copied = 0
for (const file of DOCS_ASSET_FILES) {
  const bytes = readFileSync(join(source, file))
  const destination = join(target, file)
  if (existsSync(destination) && readFileSync(destination).equals(bytes)) continue
  const temporary = `${destination}.${process.pid}.tmp`
  writeFileSync(temporary, bytes)
  renameSync(temporary, destination)
  copied++
}
const { version } = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8'))
if (copied > 0) console.log(`copy-docs-assets: swagger-ui-dist ${version} → static/docs/assets/ (${copied} files)`)
