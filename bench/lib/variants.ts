/**
 * The gateway's variants in `npm run bench` (`--variants redis,budget`): the same gateway with one
 * feature switched on, measured as its own row (`gateway+redis`, `gateway+budget`) in the same rounds
 * as the plain gateway, so the feature's cost is the difference between the two rows.
 * - `redis`: `REDIS_URL` at a `redis-server` the bench starts on a free port of 127.0.0.1 with a
 *   throwaway data directory and no persistence (Bun and Node; Workers ignore REDIS_URL).
 * - `budget`: `TOKEN_BUDGET` high enough never to refuse, so each request pays the reservation before
 *   its upstream request and the settlement at its end (every runtime).
 * - `object`: `RESUME_RUNNER=object` (Workers): the stream's Durable Object runs the answer, as every
 *   resumable stream did before the worker ran it, so the row shows what the object hop costs.
 *
 * @example
 * const redis = await startRedisServer() // redis.url: redis://127.0.0.1:<port>; stopped by its PID
 * const vars = variantVars('redis', redis.url) // { REDIS_URL: … }
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../test/support/gateway.ts'
import { ping, redisServerInstalled } from '../../test/support/redis-server.ts'
import { spawnManaged, type Managed, type Runtime } from './procs.ts'

export type VariantId = 'redis' | 'budget' | 'object'
export const VARIANTS: readonly VariantId[] = ['redis', 'budget', 'object']
/** The row's label: `gateway+redis`, `gateway+budget`. */
export const variantLabel = (v: VariantId) => `gateway+${v}`
export const VARIANT_LABELS = VARIANTS.map(variantLabel)
/** Whether a row is the gateway's (plain or a variant): same byte checks, same exit code. */
export const isGatewayRow = (label: string) => label === 'gateway' || label.startsWith('gateway+')
/** The runtimes a variant means something on. */
export const VARIANT_RUNTIMES: Record<VariantId, readonly Runtime[]> = {
  redis: ['bun', 'node'],
  budget: ['workers', 'bun', 'node'],
  object: ['workers'],
}
/** Where each variant runs unless `--variant-runtimes` says otherwise (the time budget). */
export const DEFAULT_VARIANT_RUNTIMES: Record<VariantId, readonly Runtime[]> = {
  redis: ['bun'],
  budget: ['bun'],
  object: ['workers'],
}

/**
 * A budget no run comes near (a default run settles a few million tokens at most), and an output cap: a
 * request without `max_tokens` reserves all that remains of the budget, so without the cap the first of
 * fifty concurrent streams would hold it all and the others be refused. The cap is far above the
 * longest answer (2,000 chunks), so no answer is cut short.
 */
export const BUDGET_VARS = { TOKEN_BUDGET: '1000000000/1d', MAX_OUTPUT_TOKENS: '100000' }

/** The gateway's extra bindings for a variant (`redisUrl`: the bench's redis-server, for `redis`). */
export function variantVars(v: VariantId, redisUrl?: string): Record<string, string> {
  if (v === 'budget') return { ...BUDGET_VARS }
  if (v === 'object') return { RESUME_RUNNER: 'object' }
  if (!redisUrl) throw new Error('the redis variant needs the bench’s redis-server')
  return { REDIS_URL: redisUrl }
}

/** A redis-server of the bench's own: free port, throwaway data directory, nothing saved; ready when it answers PING. */
export async function startRedisServer(timeoutMs = 10_000): Promise<Managed> {
  if (!redisServerInstalled()) {
    throw new Error('redis-server is not installed: `apt-get install -y redis-server` (.ci/run does it)')
  }
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'bench-redis-'))
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]
  return spawnManaged({
    name: 'redis-server',
    file: 'redis-server',
    args: [...args, '--loglevel', 'warning'],
    ready: async (_, exited) => {
      const deadline = Date.now() + timeoutMs
      while (!(await ping(port))) {
        if (exited()) throw new Error('redis-server exited')
        if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING`)
        await new Promise((r) => setTimeout(r, 50))
      }
      return `redis://127.0.0.1:${port}`
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  })
}

/**
 * Starts the wanted variants of the gateway (through `startGateway`, which reports its own failures),
 * and first the redis-server the `redis` one needs (handed to `onRedis`, stopped by its PID with the rest).
 */
export async function startVariants(
  wanted: VariantId[],
  hooks: {
    startGateway: (label: string, vars: Record<string, string>) => Promise<Managed | undefined>
    onRedis: (redis: Managed) => void
    onProblem: (problem: string) => void
  },
): Promise<{ label: string; m: Managed }[]> {
  let redisUrl: string | undefined
  if (wanted.includes('redis')) {
    try {
      const redis = await startRedisServer()
      hooks.onRedis(redis)
      redisUrl = redis.url
    } catch (error) {
      hooks.onProblem(`gateway+redis: not run: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  const started = await Promise.all(
    wanted
      .filter((v) => v !== 'redis' || redisUrl)
      .map(async (v) => ({
        label: variantLabel(v),
        m: await hooks.startGateway(variantLabel(v), variantVars(v, redisUrl)),
      })),
  )
  return started.filter((x): x is { label: string; m: Managed } => x.m !== undefined)
}
