/**
 * The results of `npm run bench`: bench/results/latest.json (every figure, per round), latest.md
 * (the tables, one streaming table per API, and the targets with pass/fail) and, with `--readme`, the README's
 * Performance section between its `<!-- bench:start -->` / `<!-- bench:end -->` markers.
 *
 * @example
 * writeResults('bench/results/latest', { cases, memory, bundles, problems, config, seconds }, false)
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, release, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { ROOT } from '../../test/support/gateway.ts'
import { APIS } from './apis.ts'
import { apiOf, checks, f, sf } from './checks.ts'
import type { CaseOut, Results } from './results.ts'
import type { TargetFigures } from './summary.ts'
import { compareVariants, describeFigure } from './variant-figures.ts'
import { VARIANT_LABELS } from './variants.ts'

const ORDER = ['direct', 'passthrough', 'lean', 'gateway', ...VARIANT_LABELS, 'ai-sdk', 'portkey']
/** Text for a table cell: no line breaks, no unescaped pipes. */
const cell = (text: string | undefined, max = 200) =>
  (text ?? '').replace(/\s+/g, ' ').slice(0, max).replace(/\|/g, '\\|')
const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && Number.isFinite(a / b) && b > 0 ? `${(a / b).toFixed(2)}×` : '–'
const find = (cases: CaseOut[], runtime: string, provider: string, name: string) =>
  cases.find((c) => c.runtime === runtime && c.provider === provider && c.case === name)

function tool(file: string, args: string[]): string {
  try {
    return execFileSync(join(ROOT, 'node_modules/.bin', file), args, {
      encoding: 'utf8',
      timeout: 15_000,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    })
      .trim()
      .split('\n')
      .pop()!
  } catch {
    return '?'
  }
}
function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim()
    return execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim()
      ? `${head} (src/ modified)`
      : head
  } catch {
    return '?'
  }
}

/** One API's rows: per runtime and provider, every contender that answered it. */
function streamingTable(cases: CaseOut[]): string[] {
  const lines = [
    '| runtime · provider | contender | own first text p50 / p95, 1 stream (ms) | own first text p50 / p95, 50 streams (ms) | added gap between chunks p50 / p99, 1 stream (ms) | added gap between chunks p50 / p99, 50 streams (ms) | CPU per chunk, burst: µs (own, ×lean) | CPU per chunk, steady: µs (own, ×lean) | chunks/s at saturation (×floor, ×lean) | bytes lost or altered | failed streams |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ]
  const keys = [...new Set(cases.map((c) => `${c.runtime}|${c.provider}`))]
  for (const key of keys) {
    const [runtime, provider] = key.split('|') as [string, string]
    const [steady, c50, burst, sat] = ['steady', 'c50', 'burst', 'saturation'].map((n) =>
      find(cases, runtime, provider, n),
    )
    const labels = ORDER.filter((l) => [steady, c50, burst, sat].some((c) => c?.targets[l]))
    for (const l of labels) {
      const t = (c: CaseOut | undefined) => c?.targets[l]
      const lean = (c: CaseOut | undefined) => c?.targets.lean
      const cpuCell = (c: CaseOut | undefined) =>
        l === 'direct' || !t(c)
          ? '–'
          : l === 'passthrough'
            ? `${f(t(c)!.cpuUsPerChunk)} (floor)`
            : `${f(t(c)!.cpuUsPerChunk)} (${sf(t(c)!.ownCpuUsPerChunk)}, ${ratio(t(c)!.cpuUsPerChunk, lean(c)?.cpuUsPerChunk)})`
      const ttftCell = (c: CaseOut | undefined) =>
        !t(c)
          ? '–'
          : l === 'passthrough'
            ? `${f(t(c)!.ttftP50, 2)} / ${f(t(c)!.ttftP95, 2)} (floor)`
            : `${sf(t(c)!.ownTtftP50, 2)} / ${sf(t(c)!.ownTtftP95, 2)}`
      const gapCell = (c: CaseOut | undefined) =>
        !t(c)
          ? '–'
          : l === 'passthrough'
            ? `${f(t(c)!.chunkDelayP50, 2)} / ${f(t(c)!.chunkDelayP99, 2)} (floor)`
            : `${sf(t(c)!.addedGapP50, 2)} / ${sf(t(c)!.addedGapP99, 2)}`
      const s = t(sat)
      const rateCell = !s
        ? '–'
        : `${f(s.chunksPerSec, 0)} (${ratio(s.chunksPerSec, sat?.targets.passthrough?.chunksPerSec)}, ${ratio(s.chunksPerSec, sat?.targets.lean?.chunksPerSec)})`
      const all = [steady, c50, burst, sat].map(t).filter((x): x is TargetFigures => x !== undefined)
      const lost = all.reduce((n, x) => n + x.lostBytes, 0)
      const failed = all.reduce((n, x) => n + x.failures, 0)
      const name = l === 'gateway' ? '**gateway**' : l
      lines.push(
        `| ${runtime} · ${provider} | ${name} | ${ttftCell(steady)} | ${ttftCell(c50)} | ${gapCell(steady)} | ${gapCell(c50)} | ${cpuCell(burst)} | ${cpuCell(steady)} | ${rateCell} | ${lost} | ${failed} |`,
      )
    }
  }
  return lines
}

export function markdown(r: Results): string {
  const lines: string[] = []
  const meta = `${(r.date ?? new Date().toISOString()).slice(0, 16).replace('T', ' ')} UTC, commit ${r.commit ?? commit()}, ${r.machine ?? machine()}; ${r.seconds.toFixed(0)} s`
  lines.push(
    `Measured by \`npm run bench\` on ${meta}. Medians of rounds with the contenders interleaved; "own" = minus the floor (the bare pass-through on the same runtime, same round); ratios to the floor and to the lean Hono pass-through. Every stream checked byte for byte against the emulator's answer. The \`direct\` rows (the emulator alone) show what the runtime or dev server itself costs as a negative "own" time. Added gap between chunks: each content piece's time from the emulator's write to the client's read; per round the contender's p50 / p99 over its pieces minus the floor's, median over rounds (the floor's row: its own write-to-read p50 / p99 over every piece).`,
    '',
  )
  lines.push(
    '**Targets** (issue 9 on /api/stream/chat; on every API: no byte lost, added gap between chunks, the peers; issue 19: gateway+redis within 10 % of the gateway)',
    '',
    '| target | measured | result |',
    '|---|---|---|',
  )
  for (const c of checks(r)) lines.push(`| ${c.target} | ${cell(c.value, 400)} | ${c.pass ? 'pass' : '**FAIL**'} |`)
  for (const api of [...new Set(r.cases.map(apiOf))]) {
    const { route, about } = APIS[api]
    lines.push(
      '',
      `**Streaming, \`${route}\`** (${about})`,
      '',
      ...streamingTable(r.cases.filter((c) => apiOf(c) === api)),
    )
  }
  const variants = compareVariants(r)
  if (variants.length) {
    lines.push(
      '',
      '**Gateway variants against the plain gateway** (same rounds; `gateway+redis`: REDIS_URL at a local redis-server, whose own CPU is not counted; `gateway+budget`: TOKEN_BUDGET that never refuses, the reservation and settlement per request; `gateway+object`: RESUME_RUNNER=object, the Durable Object of the stream runs the answer): variant vs gateway',
      '',
      '| where | variant | own first text, 1 stream | own first text, 50 streams | CPU/chunk burst | CPU/chunk steady |',
      '|---|---|---|---|---|---|',
    )
    for (const row of variants) {
      const at = (what: string) => {
        const x = row.figures.find((y) => y.what === what)
        return x ? describeFigure(x) : '–'
      }
      lines.push(
        `| ${row.at} | ${row.label} | ${at('own first text, 1 stream')} | ${at('own first text, 50 streams')} | ${at('CPU/chunk burst')} | ${at('CPU/chunk steady')} |`,
      )
    }
  }
  if (r.memory.length) {
    lines.push(
      '',
      `**Memory per open stream** (OpenAI, streams held open by a slow upstream; VmRSS open − idle)`,
      '',
      '| runtime | contender | KB per stream (rounds) | open at once | failed | bytes lost |',
      '|---|---|---|---|---|---|',
    )
    for (const m of r.memory) {
      lines.push(
        m.error
          ? `| ${m.runtime} | ${m.contender} | – | – | ${cell(m.error)} | – |`
          : `| ${m.runtime} | ${m.contender === 'gateway' ? '**gateway**' : m.contender} | ${m.failures ? '– (streams failed)' : f(m.perStreamKb)}${!m.failures && m.rounds && m.rounds.length > 1 ? ` (${m.rounds.map((x) => f(x)).join(', ')})` : ''} | ${m.openAtSample}/${m.streams} | ${m.failures}${m.failures ? ` (${cell(m.failureSamples?.[0], 120)})` : ''} | ${m.lostBytes} |`,
      )
    }
  }
  if (r.bundles.length) {
    lines.push(
      '',
      '**Worker bundle** (`wrangler deploy --dry-run --minify`; start-up = importing it in a fresh V8/Node process, median)',
      '',
      '| worker | gzip KB | raw KB | start-up ms |',
      '|---|---|---|---|',
    )
    for (const b of r.bundles)
      lines.push(
        b.ok
          ? `| ${b.name === 'gateway' ? '**gateway**' : b.name} | ${f(b.gzipKb)} | ${f(b.rawKb, 0)} | ${f(b.startupMs)} |`
          : `| ${b.name} | build failed: ${cell(b.error)} | – | – |`,
      )
  }
  if (r.problems.length)
    lines.push('', '**Not measured / failed**', '', ...r.problems.map((p) => `- ${p.slice(0, 400)}`))
  return `${lines.join('\n')}\n`
}

const machine = () =>
  `${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}; Node ${process.version}, Bun ${tool('bun', ['--version'])}, wrangler ${tool('wrangler', ['--version'])}`

/**
 * Writes `<base>.json` (unless the results came from it: `r.date` set) and `<base>.md`, and the
 * README's section when asked; returns the paths.
 */
export function writeResults(base: string, results: Results, readme: boolean): string[] {
  mkdirSync(dirname(base), { recursive: true })
  const fromJson = results.date !== undefined
  const r: Results = {
    ...results,
    date: results.date ?? new Date().toISOString(),
    commit: results.commit ?? commit(),
    machine: results.machine ?? machine(),
  }
  const md = markdown(r)
  const files = [`${base}.md`]
  if (!fromJson) {
    const { date, commit: at, machine: on, ...rest } = r
    writeFileSync(
      `${base}.json`,
      `${JSON.stringify({ date, commit: at, machine: on, checks: checks(r), ...rest }, null, 2)}\n`,
    )
    files.unshift(`${base}.json`)
  }
  writeFileSync(`${base}.md`, `# Benchmark: latest results\n\n${md}`)
  if (readme) {
    const path = join(ROOT, 'README.md')
    const text = readFileSync(path, 'utf8')
    const m = /(<!-- bench:start -->\n)[\s\S]*?(<!-- bench:end -->)/.exec(text)
    if (m) {
      writeFileSync(path, text.replace(m[0], `${m[1]}${md}${m[2]}`))
      files.push(path)
    }
  }
  return files
}
