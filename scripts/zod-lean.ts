/**
 * Writes src/vendor/zod-lean.js and zod-core-lean.js: zod's own entry files (`zod`, `zod/v4/core`)
 * without their `locales` export, which wrangler.jsonc aliases so the Worker does not ship zod's
 * ~40 translated message bundles. Run it after upgrading zod; test/node/zod-lean.test.ts fails
 * when the files no longer match the installed zod.
 *
 *   npm run zod-lean
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const zod = resolve(root, 'node_modules/zod')
const version = (JSON.parse(readFileSync(resolve(zod, 'package.json'), 'utf8')) as { version: string }).version
const vendor = resolve(root, 'src/vendor')

/** The entry's lines, minus comments and the `locales` export, with its imports pointing into node_modules. */
function lean(entry: string, from: Record<string, string>): string[] {
  return readFileSync(resolve(zod, entry), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('//') && !line.includes('locales'))
    .map((line) =>
      line.replace(/from "(\.\.?\/)([^"]*)"/, (_, dir: string, path: string) => `from "${from[dir]}${path}"`),
    )
}

const header = (what: string, aliases: string) =>
  [
    `// Generated from zod ${version} by scripts/zod-lean.ts (npm run zod-lean): do not edit. ${what}`,
    `// The same exports minus \`locales\`: wrangler.jsonc aliases ${aliases} here so the Worker does not`,
    "// ship zod's ~40 translated error-message bundles (zod registers English itself).",
  ].join('\n')

const classic = lean('v4/classic/external.js', {
  './': '../../node_modules/zod/v4/classic/',
  '../': '../../node_modules/zod/v4/',
}).map((line) =>
  line.replace(
    'export * as core from "../../node_modules/zod/v4/core/index.js"',
    'export * as core from "./zod-core-lean.js"',
  ),
)
writeFileSync(
  resolve(vendor, 'zod-lean.js'),
  `${header("zod's classic API.", '`zod` and `zod/v4`')}\n${[...classic, 'import * as z from "./zod-lean.js"', 'export { z, z as default }'].join('\n')}\n`,
)

const core = lean('v4/core/index.js', { './': '../../node_modules/zod/v4/core/', '../': '../../node_modules/zod/v4/' })
writeFileSync(resolve(vendor, 'zod-core-lean.js'), `${header("zod's core.", '`zod/v4/core`')}\n${core.join('\n')}\n`)
console.log(`src/vendor/zod-lean.js and zod-core-lean.js written from zod ${version}`)
