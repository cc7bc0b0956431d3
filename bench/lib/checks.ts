/**
 * The targets marked pass/fail in results/latest.md: issue 9's on the `/api/stream/chat` rows
 * (CPU per chunk against lean, own time to first text, memory, the worker's size), and on every
 * API's rows that no stream of the gateway (or of a variant of it) lost or altered a byte, that the
 * gateway's added gap between chunks stays within 0.5 ms at p99, how the gateway compares with each peer, and `gateway+redis` within 10 % of the in-process store.
 *
 * @example
 * for (const c of checks(results)) console.log(c.target, c.value, c.pass)
 */
import { APIS, type ApiId } from './apis.ts'
import type { Results } from './results.ts'
import type { TargetFigures } from './summary.ts'
import { REDIS_TOLERANCE, compareVariants, describeFigure, withinTolerance } from './variant-figures.ts'
import { isGatewayRow } from './variants.ts'

export interface Check {
  target: string
  value: string
  pass: boolean
}

export const f = (x: number | undefined, d = 1) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d))
export const sf = (x: number | undefined, d = 1) =>
  (x !== undefined && Number.isFinite(x) && x > 0 ? '+' : '') + f(x, d)
/** A case's API (results written before the API dimension have none: they are /api). */
export const apiOf = (c: { api?: ApiId }): ApiId => c.api ?? 'api'
/** `workers openai`, or `workers openai POST /v1/chat/completions` for an API other than /api. */
const where = (c: Results['cases'][number]) =>
  `${c.runtime} ${c.provider}${apiOf(c) === 'api' ? '' : ` ${APIS[apiOf(c)].route}`}`

/** Issue 9's per-case targets: the /api rows only. */
function caseTargets(r: Results): Check[] {
  const out: Check[] = []
  for (const c of r.cases.filter((x) => apiOf(x) === 'api')) {
    const gw = c.targets.gateway
    const lean = c.targets.lean
    if (!gw) continue
    const at = where(c)
    if ((c.case === 'burst' || c.case === 'steady') && lean) {
      const limit = c.runtime === 'workers' ? 1 : 1.5
      const x = gw.cpuUsPerChunk / lean.cpuUsPerChunk
      out.push({
        target: `${at}: server CPU per chunk (${c.case === 'burst' ? 'burst' : 'steady, one chunk per read'}) ≤ ${limit}× lean`,
        value: `${f(gw.cpuUsPerChunk)} vs ${f(lean.cpuUsPerChunk)} µs (${f(x, 2)}×)`,
        pass: x <= limit,
      })
    }
    if (c.case === 'steady')
      out.push({
        target: `${at}: own time to first text p50 ≤ 1 ms`,
        value: `${sf(gw.ownTtftP50, 2)} ms`,
        pass: gw.ownTtftP50 <= 1,
      })
    if (c.case === 'c50')
      out.push({
        target: `${at}: own time to first text p50 at 50 streams ≤ 2 ms`,
        value: `${sf(gw.ownTtftP50, 2)} ms`,
        pass: gw.ownTtftP50 <= 2,
      })
  }
  return out
}

/** Every API's rows: the gateway (and each variant of it) lost or altered no byte, in any case. */
function bytesIntact(r: Results): Check[] {
  const out: Check[] = []
  for (const at of [...new Set(r.cases.map(where))]) {
    const here = r.cases.filter((c) => where(c) === at)
    const labels = [...new Set(here.flatMap((c) => Object.keys(c.targets)).filter(isGatewayRow))]
    for (const label of labels) {
      const gws = here.map((c) => c.targets[label]).filter((t): t is TargetFigures => t !== undefined)
      const lost = gws.reduce((n, t) => n + t.lostBytes, 0)
      const failed = gws.reduce((n, t) => n + t.failures, 0)
      const streams = gws.reduce((n, t) => n + t.streams, 0)
      out.push({
        target: `${at}${label === 'gateway' ? '' : ` ${label}`}: bytes lost or altered = 0 (every case)`,
        value: `${lost} bytes, ${failed} of ${streams} streams failed`,
        pass: lost === 0 && failed === 0,
      })
    }
  }
  return out
}

/** The most a piece may spend in the gateway beyond the floor, at p99 (ms). */
export const ADDED_GAP_P99_MS = 0.5

/**
 * Every API's steady rows (one stream at a time, each chunk in its own read): the gateway's added gap
 * between chunks p99 ≤ 0.5 ms. Results written before the gap was measured have no such target.
 */
function gapTargets(r: Results): Check[] {
  const out: Check[] = []
  for (const c of r.cases.filter((x) => x.case === 'steady')) {
    const gw = c.targets.gateway
    if (gw?.addedGapP99 === undefined) continue
    out.push({
      target: `${where(c)}: added gap between chunks p99 ≤ ${ADDED_GAP_P99_MS} ms (1 stream)`,
      value: `${sf(gw.addedGapP99, 2)} ms (p50 ${sf(gw.addedGapP50, 2)} ms; ${gw.chunksTimed ?? 0} chunks timed)`,
      pass: gw.addedGapP99 <= ADDED_GAP_P99_MS,
    })
  }
  return out
}

/** `gateway+redis`: own first text and CPU per chunk within 10 % of the plain gateway's (same rounds). */
function redisWithin(r: Results): Check[] {
  return compareVariants(r)
    .filter((row) => row.label === 'gateway+redis')
    .map((row) => ({
      target: `${row.at}: gateway+redis own first text and CPU per chunk within ${REDIS_TOLERANCE * 100} % of the in-process store (gateway)`,
      value: row.figures.map((x) => `${x.what} ${describeFigure(x)}`).join('; '),
      pass: withinTolerance(row),
    }))
}

/** Per API and peer: the gateway wins every figure both ran (and the peer passed); /api adds memory and size. */
function againstPeers(r: Results, api: ApiId): Check[] {
  const out: Check[] = []
  for (const peer of ['ai-sdk', 'portkey']) {
    const lost: string[] = []
    let compared = 0
    const cmp = (what: string, gw: number | undefined, other: number | undefined, higherIsBetter = false) => {
      if (gw === undefined || other === undefined || !Number.isFinite(gw) || !Number.isFinite(other)) return
      compared++
      if (higherIsBetter ? gw < other : gw > other) lost.push(what)
    }
    for (const c of r.cases.filter((x) => apiOf(x) === api)) {
      const gw = c.targets.gateway
      const o = c.targets[peer]
      if (!gw || !o || o.failures > 0) continue
      const at = `${c.runtime} ${c.provider}`
      if (c.case === 'steady' || c.case === 'c50') cmp(`${at} first text (${c.case})`, gw.ownTtftP50, o.ownTtftP50)
      if (c.case === 'steady' || c.case === 'burst')
        cmp(`${at} CPU/chunk (${c.case})`, gw.cpuUsPerChunk, o.cpuUsPerChunk)
      if (c.case === 'saturation') cmp(`${at} chunks/s`, gw.chunksPerSec, o.chunksPerSec, true)
    }
    if (api === 'api') {
      for (const m of r.memory.filter((x) => x.contender === peer && !x.error && x.failures === 0)) {
        cmp(
          `${m.runtime} memory/stream`,
          r.memory.find((x) => x.contender === 'gateway' && x.runtime === m.runtime)?.perStreamKb,
          m.perStreamKb,
        )
      }
      const gwb = r.bundles.find((x) => x.name === 'gateway')
      const ob = r.bundles.find((x) => x.name === peer)
      if (gwb?.ok && ob?.ok) cmp('worker gzip size', gwb.gzipKb, ob.gzipKb)
    }
    if (compared > 0)
      out.push({
        target: `${api === 'api' ? '' : `${APIS[api].route}: `}the gateway beats ${peer} on every figure it runs (and passes)`,
        value: lost.length ? `not on ${lost.length}/${compared}: ${lost.join('; ')}` : `${compared}/${compared}`,
        pass: lost.length === 0,
      })
  }
  return out
}

/** Every target, each with the measured value and pass/fail. */
export function checks(r: Results): Check[] {
  const out = [...caseTargets(r), ...gapTargets(r), ...bytesIntact(r), ...redisWithin(r)]
  for (const m of r.memory.filter((x) => x.contender === 'gateway' && x.runtime === 'bun')) {
    const ok = !m.error && m.failures === 0 && m.openAtSample === m.streams && (m.perStreamKb ?? Infinity) <= 40
    out.push({
      target: `bun: ${m.streams ?? '?'} streams open at once, nothing lost, ≤ 40 KB each`,
      value:
        m.error ??
        `${f(m.perStreamKb)} KB, ${m.openAtSample}/${m.streams} open, ${m.failures} failed, ${m.lostBytes} bytes lost`,
      pass: ok,
    })
  }
  for (const api of [...new Set(r.cases.map(apiOf))]) out.push(...againstPeers(r, api))
  const b = r.bundles.find((x) => x.name === 'gateway')
  if (b)
    out.push({
      target: 'worker ≤ 130 KB gzip, minified',
      value: b.ok ? `${f(b.gzipKb)} KB` : `build failed: ${(b.error ?? '').replace(/\s+/g, ' ').slice(0, 200)}`,
      pass: b.ok && (b.gzipKb ?? Infinity) <= 130,
    })
  return out
}
