/**
 * Starts the gateway as a real process (black box) pointed at an upstream (normally the
 * provider emulator), waits until GET /health answers, and stops it by process group.
 *
 * @example
 * const emu = await startEmulator()
 * const gw = await startGateway({ runtime: 'workers', upstreamUrl: emu.url })
 * await fetch(`${gw.url}/health`)
 * await gw.stop(); await emu.close()
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export type Runtime = 'workers' | 'bun' | 'node'

export interface StartGatewayOptions {
  runtime: Runtime
  /** The emulator's base URL, e.g. http://127.0.0.1:8787 (no /v1). */
  upstreamUrl: string
  /** Port to listen on; a free one when omitted. */
  port?: number
  /** Extra bindings / env vars; they override the defaults set here. */
  vars?: Record<string, string>
  /** Milliseconds to wait for GET /health (default 60 s: the first wrangler start is slow). */
  readyTimeoutMs?: number
  /** Receives the process output as it comes (it is captured for output() either way). */
  onOutput?: (text: string) => void
  /** wrangler --log-level (default `warn`; the demo uses `info` to show requests). */
  logLevel?: 'debug' | 'info' | 'log' | 'warn' | 'error' | 'none'
}

export interface RunningGateway {
  url: string
  port: number
  runtime: Runtime
  pid: number
  /** Everything the process wrote so far (stdout + stderr), for failure messages. */
  output(): string
  /** Resolves when the process exits (by stop() or on its own) with its exit code. */
  exited: Promise<number | null>
  stop(): Promise<void>
}

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const BIN = join(ROOT, 'node_modules/.bin')

/** The entry file each runtime needs; a runtime whose file is missing is not available yet. */
export const RUNTIME_ENTRY: Record<Runtime, string> = {
  workers: 'src/index.ts',
  bun: 'src/bun.ts',
  node: 'src/node.ts',
}

export function runtimeAvailable(runtime: Runtime): boolean {
  return existsSync(join(ROOT, RUNTIME_ENTRY[runtime]))
}

/** Runtimes whose entry file exists, in a stable order. `GATEWAY_RUNTIMES=workers,bun` narrows it. */
export function availableRuntimes(): Runtime[] {
  const wanted = (process.env.GATEWAY_RUNTIMES ?? 'workers,bun,node')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean) as Runtime[]
  return wanted.filter((r) => r in RUNTIME_ENTRY && runtimeAvailable(r))
}

export class RuntimeUnavailableError extends Error {
  constructor(runtime: Runtime) {
    super(`gateway runtime '${runtime}' is not available: ${RUNTIME_ENTRY[runtime]} does not exist`)
    this.name = 'RuntimeUnavailableError'
  }
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', rej)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => res(port))
    })
  })
}

/** The bindings every runtime gets: the emulator as upstream, placeholder keys. */
export function upstreamVars(upstreamUrl: string): Record<string, string> {
  const base = upstreamUrl.replace(/\/+$/, '')
  return {
    OPENAI_BASE_URL: `${base}/v1`,
    GEMINI_BASE_URL: base,
    OPENAI_API_KEY: 'emu-key',
    GEMINI_API_KEY: 'emu-key',
    // Issue 8: no rate limit (wrangler.toml's RATE_LIMITER) for suites and benchmarks that send
    // hundreds of requests from one address; the security suite sets its own limit.
    RATE_LIMIT: 'off',
  }
}

const live = new Set<ChildProcess>()
let exitHookInstalled = false
function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // Last resort if a test run dies without calling stop(): never leave a gateway behind.
  process.on('exit', () => {
    for (const child of live) killGroup(child, 'SIGKILL')
  })
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, signal) // the whole group: wrangler spawns workerd, npx spawns bun
  } catch {
    try {
      child.kill(signal)
    } catch {
      /* already gone */
    }
  }
}

function command(runtime: Runtime, port: number, vars: Record<string, string>, persistDir: string, logLevel: string) {
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    WRANGLER_SEND_METRICS: 'false',
    NO_COLOR: '1',
    PATH: `${BIN}:${process.env.PATH ?? ''}`,
  }
  if (runtime === 'workers') {
    const args = [
      'dev',
      '--port',
      String(port),
      '--ip',
      '127.0.0.1',
      '--persist-to',
      persistDir,
      '--show-interactive-dev-session=false',
      '--log-level',
      logLevel,
    ]
    for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`)
    return { file: join(BIN, 'wrangler'), args, env: baseEnv }
  }
  const env: NodeJS.ProcessEnv = { ...baseEnv, ...vars, PORT: String(port), HOST: '127.0.0.1' }
  if (runtime === 'bun') return { file: join(BIN, 'bun'), args: ['run', RUNTIME_ENTRY.bun], env }
  return { file: nodeBinary(), args: [], env }
}

function nodeBinary(): string {
  return existsSync(join(BIN, 'node')) ? join(BIN, 'node') : process.execPath
}

/**
 * src/ uses extensionless imports, which plain `node src/node.ts` cannot resolve, so the Node
 * target is bundled first the way `npm run start:node` does it (esbuild, packages external). The
 * bundle goes to dist/ under a unique name: the entry finds static/ at `../static` from its own
 * location, and several test runs may build at once.
 */
function bundleNodeEntry(): string {
  const out = join(ROOT, 'dist', `node-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}.mjs`)
  const res = spawnSync(
    join(BIN, 'esbuild'),
    [
      RUNTIME_ENTRY.node,
      '--bundle',
      '--platform=node',
      '--format=esm',
      '--packages=external',
      `--outfile=${out}`,
      '--log-level=warning',
    ],
    { cwd: ROOT, encoding: 'utf8' },
  )
  if (res.status !== 0) throw new Error(`esbuild could not bundle ${RUNTIME_ENTRY.node}:\n${res.stderr || res.error}`)
  return out
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function startGateway(opts: StartGatewayOptions): Promise<RunningGateway> {
  const { runtime } = opts
  if (!runtimeAvailable(runtime)) throw new RuntimeUnavailableError(runtime)
  const port = opts.port ?? (await freePort())
  // Wrangler needs a free inspector port of its own when several dev servers run at once.
  const vars = { ...upstreamVars(opts.upstreamUrl), ...opts.vars }
  const persistDir = mkdtempSync(join(tmpdir(), 'gw-state-'))
  const cmd = command(runtime, port, vars, persistDir, opts.logLevel ?? 'warn')
  if (runtime === 'workers') cmd.args.push('--inspector-port', String(await freePort()))
  const bundle = runtime === 'node' ? bundleNodeEntry() : undefined
  if (bundle) cmd.args.push(bundle)

  installExitHook()
  const child = spawn(cmd.file, cmd.args, {
    cwd: ROOT,
    env: cmd.env,
    detached: true, // own process group, so stop() can signal wrangler + workerd together
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  live.add(child)
  let out = ''
  const append = (b: Buffer) => {
    const text = b.toString('utf8')
    opts.onOutput?.(text)
    out += text
    if (out.length > 200_000) out = out.slice(-100_000)
  }
  child.stdout?.on('data', append)
  child.stderr?.on('data', append)
  if (process.env.GATEWAY_LOG) {
    child.stdout?.pipe(process.stderr)
    child.stderr?.pipe(process.stderr)
  }
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined
  const exitCode = new Promise<number | null>((res) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal }
      live.delete(child)
      res(code)
    })
  })
  const exitPromise = exitCode.then(() => undefined)

  const url = `http://127.0.0.1:${port}`
  let stopped = false
  const stop = async () => {
    if (stopped) return exitPromise
    stopped = true
    if (!exited) {
      killGroup(child, 'SIGTERM')
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000)
      await exitPromise
      clearTimeout(timer)
    }
    // Stragglers in the group (workerd) if any, also when the leader (wrangler) had already exited by itself.
    killGroup(child, 'SIGKILL')
    rmSync(persistDir, { recursive: true, force: true })
    if (bundle) rmSync(bundle, { force: true })
  }

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000)
  for (;;) {
    if (exited) {
      await stop()
      throw new Error(
        `gateway (${runtime}) exited before becoming ready (code ${exited.code}, signal ${exited.signal}):\n${out.slice(-4000)}`,
      )
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) })
      await res.arrayBuffer()
      // Any answer from the app counts (even a 503 "unhealthy"); wrangler's own error pages don't carry JSON.
      if (res.status < 500 || (res.headers.get('content-type') ?? '').includes('json')) break
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`gateway (${runtime}) did not answer GET /health within the timeout:\n${out.slice(-4000)}`)
    }
    await sleep(200)
  }

  return { url, port, runtime, pid: child.pid ?? -1, output: () => out, exited: exitCode, stop }
}

/**
 * Starts several gateways at once. If one fails to start, the others are stopped before its error is
 * thrown, so a failed `beforeAll` leaves no gateway running for the rest of the test run.
 */
export async function startGateways<const T extends readonly StartGatewayOptions[]>(
  options: T,
): Promise<{ [K in keyof T]: RunningGateway }> {
  const started = await Promise.allSettled(options.map((opts) => startGateway(opts)))
  const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected')
  if (failed) {
    await Promise.all(started.map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined)))
    throw failed.reason
  }
  return started.map((result) => (result as PromiseFulfilledResult<RunningGateway>).value) as {
    [K in keyof T]: RunningGateway
  }
}
