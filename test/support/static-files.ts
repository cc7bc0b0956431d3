/**
 * The test client's files in `static/`, for the tests that check every runtime serves them: the
 * scripts `test_stream.html` loads (in its order) and the scripts that exist on disk.
 *
 * @example
 * for (const name of pageScripts()) expect((await fetch(`${base}/${name}`)).status).toBe(200)
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const STATIC_DIR = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'static')

/** The `src` of every `<script>` in test_stream.html, in document order (test_stream.js last). */
export function pageScripts(): string[] {
  const html = readFileSync(join(STATIC_DIR, 'test_stream.html'), 'utf8')
  return [...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)].map((match) => match[1]!)
}

/** The `.js` files at the top of static/ (the test client's scripts), sorted. */
export function staticScripts(): string[] {
  return readdirSync(STATIC_DIR)
    .filter((name) => name.endsWith('.js'))
    .sort()
}
