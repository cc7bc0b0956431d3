/**
 * The processes a bench run starts besides the gateway (which test/support/gateway.ts starts):
 * the provider emulator and the pass-through baseline. Each runs in its own process group and is
 * stopped by its own PID (SIGTERM to the group, SIGKILL after a grace period). `stopAll()` stops
 * whatever is still running; an `exit` hook is the last resort.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT, freePort } from '../../test/support/gateway.ts'

export type Runtime = 'workers' | 'bun' | 'node'

export interface Managed {
  name: string
  url: string
  pid: number
  output(): string
  stop(): Promise<void>
}

const BIN = join(ROOT, 'node_modules/.bin')
const live = new Map<ChildProcess, () => Promise<void>>()
let hooked = false

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    try {
      child.kill(signal)
    } catch {
      /* already gone */
    }
  }
}

function hook(): void {
  if (hooked) return
  hooked = true
  process.on('exit', () => {
    for (const child of live.keys()) killGroup(child, 'SIGKILL')
  })
}

/** Stops every process started here that is still running. */
export async function stopAll(): Promise<void> {
  await Promise.allSettled([...live.values()].map((stop) => stop()))
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export interface SpawnOptions {
  name: string
  file: string
  args: string[]
  env?: NodeJS.ProcessEnv
  /** Resolves the URL once the process is ready (from its output or by polling). */
  ready: (output: () => string, exited: () => boolean) => Promise<string>
  cleanup?: () => void
}

export async function spawnManaged(opts: SpawnOptions): Promise<Managed> {
  hook()
  const child = spawn(opts.file, opts.args, {
    cwd: ROOT,
    env: {
      ...process.env,
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      WRANGLER_SEND_METRICS: 'false',
      NO_COLOR: '1',
      PATH: `${BIN}:${process.env.PATH ?? ''}`,
      ...opts.env,
    },
    detached: true, // its own process group: wrangler's workerd goes with it
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  const append = (b: Buffer) => {
    out += b.toString('utf8')
    if (out.length > 100_000) out = out.slice(-50_000)
  }
  child.stdout?.on('data', append)
  child.stderr?.on('data', append)
  let hasExited = false
  const exited = new Promise<void>((res) => {
    child.on('exit', () => {
      hasExited = true
      live.delete(child)
      res()
    })
  })
  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= (async () => {
      if (!hasExited) {
        killGroup(child, 'SIGTERM')
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000)
        await exited
        clearTimeout(timer)
      }
      killGroup(child, 'SIGKILL') // stragglers left in the group, if any
      opts.cleanup?.()
    })()
    return stopping
  }
  live.set(child, stop)
  try {
    const url = await opts.ready(
      () => out,
      () => hasExited,
    )
    return { name: opts.name, url, pid: child.pid ?? -1, output: () => out, stop }
  } catch (error) {
    await stop()
    throw new Error(
      `${opts.name} did not start: ${error instanceof Error ? error.message : String(error)}\n${out.slice(-3000)}`,
    )
  }
}

/** Polls `url` until it answers 200 (any body), the process exits, or the timeout passes. */
export async function pollReady(url: string, exited: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (exited()) throw new Error('the process exited before it was ready')
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) })
      await res.arrayBuffer()
      if (res.status === 200) return
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`no answer from ${url} within ${timeoutMs} ms`)
    await sleep(150)
  }
}

/** The provider emulator in a child process (its own event loop, away from the measuring client). */
export function startEmulatorProcess(timeoutMs = 15_000): Promise<Managed> {
  return spawnManaged({
    name: 'emulator',
    file: join(BIN, 'node'),
    // Keep-alive longer than any pause between a contender's batches (real providers keep connections
    // open for minutes): with Node's 5 s, a pooled connection reused as the emulator closes it fails.
    // A listen backlog for 1,000 connections opened at once (the memory case); Node's 511 overflowed.
    // Piece times: when each chunk was written, for the added gap between chunks (lib/gap.ts).
    args: [
      ...['emulator/cli.ts', '--port', '0', '--host', '127.0.0.1'],
      ...['--keep-alive-ms', '120000', '--backlog', '4096', '--piece-times'],
    ],
    ready: async (output, exited) => {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output())
        if (m) return m[1]!
        if (exited()) throw new Error('the emulator exited')
        if (Date.now() > deadline) throw new Error('the emulator did not print its URL')
        await sleep(50)
      }
    },
  })
}

/** A worker of bench/ under `wrangler dev` (no interactive session, own inspector port, no local trace store), ready when GET /__ready answers. */
export async function startWranglerDev(
  name: string,
  config: string,
  vars: Record<string, string>,
  timeoutMs = 60_000,
): Promise<Managed> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const persist = mkdtempSync(join(tmpdir(), 'bench-wrangler-'))
  const args = [
    'dev',
    '--config',
    config,
    '--port',
    String(port),
    '--ip',
    '127.0.0.1',
    '--inspector-port',
    String(await freePort()),
    '--persist-to',
    persist,
    '--show-interactive-dev-session=false',
    '--log-level',
    'warn',
  ]
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`)
  return spawnManaged({
    name,
    file: join(BIN, 'wrangler'),
    args,
    // The dev server's local trace store writes every invocation (the Durable Objects' too) to SQLite
    // with an fsync: a cost of `wrangler dev` alone, not of a deployed worker (bench/NOTES.md).
    env: { X_LOCAL_OBSERVABILITY: 'false' },
    ready: async (_, exited) => {
      await pollReady(`${url}/__ready`, exited, timeoutMs)
      return url
    },
    cleanup: () => rmSync(persist, { recursive: true, force: true }),
  })
}

/** The pass-through baseline (bench/passthrough/) on `runtime`, pointed at `upstreamUrl`. */
export async function startPassthrough(runtime: Runtime, upstreamUrl: string, timeoutMs = 60_000): Promise<Managed> {
  if (runtime === 'workers') {
    return startWranglerDev(
      'passthrough (workers)',
      'bench/passthrough/wrangler.toml',
      { UPSTREAM: upstreamUrl, API_KEY: 'emu-key' },
      timeoutMs,
    )
  }
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const ready = async (_: () => string, exited: () => boolean) => {
    await pollReady(`${url}/__ready`, exited, timeoutMs)
    return url
  }
  const env = { UPSTREAM: upstreamUrl, API_KEY: 'emu-key', PORT: String(port), HOST: '127.0.0.1' }
  if (runtime === 'bun') {
    return spawnManaged({
      name: 'passthrough (bun)',
      file: join(BIN, 'bun'),
      args: ['run', 'bench/passthrough/bun.ts'],
      env,
      ready,
    })
  }
  return spawnManaged({
    name: 'passthrough (node)',
    file: join(BIN, 'node'),
    args: ['bench/passthrough/node.ts'],
    env,
    ready,
  })
}
