/**
 * Starts a real `redis-server` (Debian's package) for a test: on a free port of 127.0.0.1, with a
 * throwaway data directory and no persistence, ready when it answers PING; stopped by its PID.
 * `kill()` and `start()` take it away and bring it back on the same port (an outage the gateway
 * must survive); `pause()` and `resume()` freeze it (a server that accepts but never answers).
 *
 * @example
 * const redis = await startRedis()
 * // REDIS_URL: redis.url (redis://127.0.0.1:<port>)
 * await redis.kill()   // gone: connections reset, nothing listens
 * await redis.start()  // back, empty, on the same port
 * await redis.stop()
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './gateway.ts'

export interface RunningRedis {
  url: string
  port: number
  /** The PID of the server running now (changes with each start). */
  readonly pid: number
  /** SIGKILL: the server is gone at once, as after a crash. */
  kill(): Promise<void>
  /** Starts it again on the same port (empty: nothing is persisted). */
  start(): Promise<void>
  /** SIGSTOP / SIGCONT: the server keeps its connections but answers nothing until resumed. */
  pause(): void
  resume(): void
  /** Stops it for good and removes its data directory. */
  stop(): Promise<void>
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Whether `redis-server` is on PATH (`.ci/run` installs it; by hand: `apt-get install -y redis-server`). */
export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
}

/** One PING on a fresh connection: true when the server answers PONG within `timeoutMs`. */
export function ping(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.on('error', () => done(false))
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (data) => done(data.toString('latin1').startsWith('+PONG')))
  })
}

export async function startRedis(options: { readyTimeoutMs?: number } = {}): Promise<RunningRedis> {
  if (!redisServerInstalled()) {
    throw new Error('redis-server is not installed: `apt-get install -y redis-server` (.ci/run does it)')
  }
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'redis-test-'))
  let child: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()
  let output = ''
  const killOnExit = () => child?.kill('SIGKILL')

  const start = async () => {
    output = ''
    // No config file: every setting is here. Nothing is saved; the data directory is this test's own.
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]
    const server = spawn('redis-server', [...args, '--loglevel', 'warning'], { stdio: ['ignore', 'pipe', 'pipe'] })
    child = server
    exited = new Promise((resolve) => server.once('exit', () => resolve()))
    const append = (data: Buffer) => {
      output = (output + data.toString('utf8')).slice(-4000)
    }
    server.stdout?.on('data', append)
    server.stderr?.on('data', append)
    process.once('exit', killOnExit)
    let gone = false
    void exited.then(() => {
      gone = true
    })
    const deadline = Date.now() + (options.readyTimeoutMs ?? 10_000)
    while (!(await ping(port))) {
      if (gone || Date.now() > deadline) {
        server.kill('SIGKILL')
        throw new Error(`redis-server on port ${port} did not answer PING:\n${output}`)
      }
      await sleep(50)
    }
  }

  const signal = async (name: NodeJS.Signals) => {
    const server = child
    if (!server || server.exitCode !== null || server.signalCode !== null) return
    server.kill('SIGCONT') // a paused server would not act on SIGTERM
    server.kill(name)
    const timer = setTimeout(() => server.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
    process.removeListener('exit', killOnExit)
  }

  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return child?.pid ?? -1
    },
    kill: () => signal('SIGKILL'),
    start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    stop: async () => {
      await signal('SIGTERM')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
