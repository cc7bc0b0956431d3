/**
 * The Worker as Cloudflare would get it: `wrangler deploy --dry-run --outdir … --minify` for a
 * config, the bundle's size raw and gzip (zlib default level), and its start-up time: a fresh Node
 * process (V8, as workerd) imports the bundle and reports how long parsing and running its top
 * level took, median of several processes.
 *
 * @example
 * const b = await measureBundle('wrangler.jsonc', 5)
 */
import { execFile, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { ROOT } from '../../test/support/gateway.ts'

export interface BundleResult {
  config: string
  ok: boolean
  /** The build error's first lines when wrangler could not bundle it. */
  error?: string
  rawKb?: number
  gzipKb?: number
  /** Median ms to import the bundle in a fresh V8 (Node) process. */
  startupMs?: number
  startupSamplesMs?: number[]
}

const BIN = join(ROOT, 'node_modules/.bin')
const ENV = {
  ...process.env,
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_SEND_METRICS: 'false',
  NO_COLOR: '1',
  FORCE_COLOR: '0',
  PATH: `${BIN}:${process.env.PATH ?? ''}`,
}

/** Builds and probes still running: killed if the bench exits (Ctrl-C, failure) meanwhile. */
const live = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

function run(file: string, args: string[], timeoutMs: number): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { cwd: ROOT, env: ENV, timeout: timeoutMs, maxBuffer: 16 * 2 ** 20 },
      (error, stdout, stderr) => {
        live.delete(child)
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` })
      },
    )
    live.add(child)
  })
}

const IMPORT_TIMER = `const t0 = performance.now(); await import(process.argv[2]); console.log('STARTUP_MS=' + (performance.now() - t0))`

export async function measureBundle(config: string, startupRuns: number): Promise<BundleResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-bundle-'))
  try {
    const build = await run(
      join(BIN, 'wrangler'),
      ['deploy', '--dry-run', '--config', config, '--outdir', dir, '--minify'],
      120_000,
    )
    const js = readdirSync(dir).find((f) => f.endsWith('.js'))
    if (build.code !== 0 || !js) {
      const lines = build.out
        // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes start with ESC
        .replace(/\x1b\[[0-9;]*m/g, '')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => /ERROR|error/.test(l))
      return {
        config,
        ok: false,
        error: [...new Set(lines)].slice(0, 4).join(' · ').slice(0, 600) || build.out.slice(-600),
      }
    }
    const code = readFileSync(join(dir, js))
    const samples: number[] = []
    const probe = join(dir, 'startup.mjs')
    writeFileSync(probe, IMPORT_TIMER)
    for (let i = 0; i < startupRuns; i++) {
      const r = await run(join(BIN, 'node'), [probe, join(dir, js)], 30_000)
      const m = /STARTUP_MS=([\d.]+)/.exec(r.out)
      if (m) samples.push(Number(m[1]))
    }
    const sorted = [...samples].sort((a, b) => a - b)
    return {
      config,
      ok: true,
      rawKb: code.length / 1024,
      gzipKb: gzipSync(code).length / 1024,
      startupMs: sorted.length ? sorted[Math.floor(sorted.length / 2)] : undefined,
      startupSamplesMs: samples,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
