/**
 * The options of `npm run bench` (`--help` prints them) and the run's configuration they make:
 * runtimes, providers, APIs, contenders, the gateway's variants (and on which runtimes), rounds, memory,
 * bundle, time budget, and the gateway's extra bindings. An unknown runtime, provider, API, contender or
 * variant stops the run with exit code 2.
 *
 * @example
 * const { cfg } = readOptions(['--quick', '--apis', 'v1']) // cfg.apis = ['v1'], cfg.rounds = 2
 */
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ROOT } from '../../test/support/gateway.ts'
import { API_IDS, type ApiId, type Provider } from './apis.ts'
import { CONTENDERS, type ContenderId } from './contenders.ts'
import type { Runtime } from './procs.ts'
import { VARIANTS, type VariantId } from './variants.ts'

export const usage = `usage: npm run bench [-- --quick --runtimes workers,bun --providers openai,gemini --apis ${API_IDS.join(',')}
                        --contenders ${CONTENDERS.join(',')} --rounds 5
                        --variants ${VARIANTS.join(',')} (or none) --variant-runtimes bun (gateway rows with REDIS_URL / TOKEN_BUDGET on Bun, RESUME_RUNNER=object on Workers by default)
                        --memory-runtimes bun,node --memory-streams 1000 --memory-rounds 2 --no-memory --only-memory --no-bundle
                        --budget 840 --out bench/results/latest --readme
                        --gateway-vars RESUMABLE=off,… (bindings for the gateway)
                        --report-only (rewrite <out>.md and, with --readme, the README from <out>.json)]`

function list<T extends string>(s: string, allowed: readonly T[], what: string): T[] {
  const xs = s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x && x !== 'none')
  for (const x of xs) {
    if (allowed.includes(x as T)) continue
    console.error(`unknown ${what} ${x} (${allowed.join(', ')})`)
    process.exit(2)
  }
  return xs as T[]
}

export function readOptions(args: string[] = process.argv.slice(2)) {
  const { values: opt } = parseArgs({
    args,
    options: {
      runtimes: { type: 'string', default: 'workers,bun' },
      providers: { type: 'string', default: 'openai,gemini' },
      apis: { type: 'string', default: API_IDS.join(',') },
      contenders: { type: 'string', default: CONTENDERS.join(',') },
      variants: { type: 'string', default: VARIANTS.join(',') },
      'variant-runtimes': { type: 'string' },
      rounds: { type: 'string', default: '5' },
      'memory-runtimes': { type: 'string', default: 'bun,node' },
      'memory-streams': { type: 'string', default: '1000' },
      'memory-rounds': { type: 'string', default: '2' },
      'no-memory': { type: 'boolean', default: false },
      /** Only the memory case (no streaming cases), e.g. to check a change to the cost of an open stream. */
      'only-memory': { type: 'boolean', default: false },
      'no-bundle': { type: 'boolean', default: false },
      budget: { type: 'string', default: '840' },
      out: { type: 'string', default: join(ROOT, 'bench/results/latest') },
      readme: { type: 'boolean', default: false },
      'report-only': { type: 'boolean', default: false },
      'gateway-vars': { type: 'string', default: '' },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  /** `--gateway-vars A=1,B=2`: bindings the gateway is started with (e.g. RESUMABLE=off: the direct path). */
  const gatewayVars: Record<string, string> = Object.fromEntries(
    opt['gateway-vars']
      .split(',')
      .map((pair) => pair.trim())
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  )
  const quick = opt.quick
  const cfg = {
    runtimes: opt['only-memory'] ? [] : list<Runtime>(opt.runtimes, ['workers', 'bun', 'node'], 'runtime'),
    providers: list<Provider>(opt.providers, ['openai', 'gemini'], 'provider'),
    apis: list<ApiId>(opt.apis, API_IDS, 'API'),
    contenders: list<ContenderId>(opt.contenders, CONTENDERS, 'contender'),
    /** Gateway rows with one feature on (lib/variants.ts). */
    variants: list<VariantId>(opt.variants, VARIANTS, 'variant'),
    /** Where they run; absent: each variant's own default runtimes (DEFAULT_VARIANT_RUNTIMES, for the time budget). */
    variantRuntimes:
      opt['variant-runtimes'] === undefined
        ? undefined
        : list<Runtime>(opt['variant-runtimes'], ['workers', 'bun', 'node'], 'variant runtime'),
    memoryRuntimes: opt['no-memory'] ? [] : list<Runtime>(opt['memory-runtimes'], ['bun', 'node'], 'memory runtime'),
    memoryStreams: quick ? 200 : Math.max(1, Number(opt['memory-streams']) || 1000),
    memoryRounds: quick ? 1 : Math.max(1, Number(opt['memory-rounds']) || 2),
    bundle: !opt['no-bundle'],
    budgetMs: Number(opt.budget) * 1000,
    rounds: quick ? 2 : Math.max(1, Number(opt.rounds) || 5),
    quick,
  }
  return { opt, cfg, gatewayVars }
}
