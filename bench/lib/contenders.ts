/**
 * The contenders of `npm run bench`, each started on a runtime in front of the emulator and stopped
 * by its own PID: `passthrough` (the floor: a bare forwarding worker), `lean` (a hand-written Hono
 * pass-through: the practical limit), `gateway` (this project, started by test/support/gateway.ts),
 * `ai-sdk` (Hono on the Vercel AI SDK) and `portkey` (the Portkey gateway from npm). `direct` is the
 * emulator itself. Peers live in bench/peers/<name>/ with their own package.json and are installed
 * there (npm ci, scripts off) on first use, never in the gateway's dependencies.
 *
 * @example
 * const lean = await startContender('lean', 'bun', emulator.url); ...; await lean.stop()
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, freePort, startGateway } from '../../test/support/gateway.ts'
import { exchangeFor, type ApiId, type TargetKind } from './apis.ts'
import { makeTarget, type Target } from './client.ts'
import { pollReady, spawnManaged, startPassthrough, startWranglerDev, type Managed, type Runtime } from './procs.ts'

export type ContenderId = Exclude<TargetKind, 'direct'>
export const CONTENDERS: readonly ContenderId[] = ['passthrough', 'lean', 'gateway', 'ai-sdk', 'portkey']
export const PEERS = ['lean', 'ai-sdk', 'portkey'] as const
const BIN = join(ROOT, 'node_modules/.bin')
/** Bun's outgoing fetch cap for every Bun process the bench starts (Bun reads it only at start-up). */
export const BUN_FETCH_CAP = '4096'

/** Installs bench/peers/<peer> from its lock file unless it is installed already. */
export function ensurePeerInstalled(peer: (typeof PEERS)[number]): void {
  const dir = join(ROOT, 'bench/peers', peer)
  if (existsSync(join(dir, 'node_modules/.package-lock.json'))) return
  console.log(`installing bench/peers/${peer} (first use)...`)
  const args = existsSync(join(dir, 'package-lock.json')) ? ['ci'] : ['install']
  execFileSync('npm', [...args, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: dir,
    stdio: 'inherit',
    timeout: 300_000,
  })
}

/** Why a contender cannot run on a runtime (undefined when it can). */
export function unsupported(id: ContenderId, runtime: Runtime): string | undefined {
  if (id === 'portkey' && runtime === 'workers') {
    return 'the npm package ships only its Node build (build/start-server.js), no worker entry: see bench/NOTES.md for the build error'
  }
  return undefined
}

async function startPeer(peer: 'lean' | 'ai-sdk', runtime: Runtime, upstream: string): Promise<Managed> {
  const vars = { UPSTREAM: upstream, API_KEY: 'emu-key' }
  if (runtime === 'workers') return startWranglerDev(`${peer} (workers)`, `bench/peers/${peer}/wrangler.toml`, vars)
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  return spawnManaged({
    name: `${peer} (${runtime})`,
    file: join(BIN, runtime),
    args: runtime === 'bun' ? ['run', `bench/peers/${peer}/bun.ts`] : [`bench/peers/${peer}/node.ts`],
    env: { ...vars, PORT: String(port), HOST: '127.0.0.1', BUN_CONFIG_MAX_HTTP_REQUESTS: BUN_FETCH_CAP },
    ready: async (_, exited) => {
      await pollReady(`${url}/__ready`, exited, 60_000)
      return url
    },
  })
}

async function startPortkey(runtime: Runtime): Promise<Managed> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  return spawnManaged({
    name: `portkey (${runtime})`,
    file: join(BIN, runtime),
    args: ['bench/peers/portkey/start.mjs', `--port=${port}`, '--headless'],
    env: { BUN_CONFIG_MAX_HTTP_REQUESTS: BUN_FETCH_CAP },
    ready: async (_, exited) => {
      await pollReady(`${url}/`, exited, 60_000)
      return url
    },
  })
}

/** Starts one contender on `runtime`, pointed at the emulator. */
export async function startContender(
  id: ContenderId,
  runtime: Runtime,
  upstream: string,
  /** Extra bindings for the gateway (e.g. RESUMABLE=off to measure the direct path). */
  gatewayVars: Record<string, string> = {},
): Promise<Managed> {
  const why = unsupported(id, runtime)
  if (why) throw new Error(why)
  if (id === 'passthrough') return startPassthrough(runtime, upstream)
  if (id === 'lean' || id === 'ai-sdk') return startPeer(id, runtime, upstream)
  if (id === 'portkey') return startPortkey(runtime)
  // The gateway as the tests start it; on Bun with the fetch cap set (src/bun.ts would restart itself otherwise).
  const gw = await startGateway({
    runtime,
    upstreamUrl: upstream,
    readyTimeoutMs: 90_000,
    vars: { ...gatewayVars, ...(runtime === 'bun' ? { BUN_CONFIG_MAX_HTTP_REQUESTS: BUN_FETCH_CAP } : {}) },
  })
  return { name: `gateway (${runtime})`, url: gw.url, pid: gw.pid, output: gw.output, stop: gw.stop }
}

/**
 * The measuring client's target for a running contender (or the emulator for `direct`) on `api`.
 * Portkey is always sent its own OpenAI-compatible request, told which provider to call and where.
 */
export function targetFor(id: TargetKind, url: string, upstream: string, api: ApiId, maxSockets = 64): Target {
  if (id !== 'portkey') return makeTarget(id, id, url, exchangeFor(api, id), maxSockets)
  return makeTarget(
    'portkey',
    'portkey',
    url,
    (provider, prompt) => ({
      path: '/v1/chat/completions',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer emu-key',
        'x-portkey-provider': provider === 'openai' ? 'openai' : 'google',
        'x-portkey-custom-host': provider === 'openai' ? `${upstream}/v1` : upstream,
      },
      body: JSON.stringify({
        model: provider === 'openai' ? 'gpt-4.1-mini' : 'gemini-2.5-flash',
        messages: [{ role: 'user', content: prompt }],
        stream: true,
      }),
      wire: 'chat',
      // Its Google path ends with `finish_reason: "stop"` and no `data: [DONE]` (its OpenAI path sends it).
      doneAtStop: true,
    }),
    maxSockets,
  )
}
