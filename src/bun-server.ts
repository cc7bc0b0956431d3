/**
 * Serves a fetch handler on Bun the way the gateway needs it: `idleTimeout` at Bun's maximum so
 * quiet streams are not cut (Bun's default is 10 s), enough outgoing fetches for many open streams,
 * and a clean stop on SIGINT/SIGTERM.
 *
 * Bun runs at most `BUN_CONFIG_MAX_HTTP_REQUESTS` outgoing fetches at once (default 256): past that,
 * upstream requests wait in a queue and their streams stall. Bun reads the variable once at start-up
 * (setting it from the script is too late), so when it is missing or below `MIN_FETCH_CAP` the
 * server starts itself again with the variable raised, and says so. An entry that opens connections
 * at start-up (Redis) calls {@link ensureFetchCap} first, so that only the restarted process opens them.
 *
 * @example
 * serveWithBun((request) => app.fetch(request, Bun.env), { name: 'LLM SSE gateway', port: 8000 })
 */

import type { Server } from 'bun'

/** What the gateway uses of Bun's server (`requestIP`: the socket address, for per-caller rate limits). */
export type BunServer = Pick<Server<undefined>, 'port' | 'hostname' | 'stop' | 'requestIP'>

/** Outgoing fetches the server needs at once: one per open stream (1,000 streams and some margin). */
export const MIN_FETCH_CAP = 4096

/** The process environment on Bun. */
export const bunEnv = (): Record<string, string | undefined> => Bun.env

/**
 * Returns when Bun's fetch cap is at least `MIN_FETCH_CAP`. Otherwise it runs this same command again
 * with the cap raised, waits for it and exits with its code (or throws if the raised cap did not hold).
 */
export async function ensureFetchCap(name: string): Promise<void> {
  const cap = Number(Bun.env.BUN_CONFIG_MAX_HTTP_REQUESTS ?? 256)
  if (Number.isFinite(cap) && cap >= MIN_FETCH_CAP) return
  if (Bun.env.BUN_FETCH_CAP_RESTARTED) {
    throw new Error(`${name}: BUN_CONFIG_MAX_HTTP_REQUESTS is ${cap}; set it to at least ${MIN_FETCH_CAP}`)
  }
  console.warn(
    `${name}: BUN_CONFIG_MAX_HTTP_REQUESTS is ${Bun.env.BUN_CONFIG_MAX_HTTP_REQUESTS ?? 'unset (256)'}, ` +
      `too few outgoing fetches for many open streams: restarting with ${MIN_FETCH_CAP} ` +
      `(set it in the environment to skip this step)`,
  )
  const env = { ...Bun.env, BUN_CONFIG_MAX_HTTP_REQUESTS: String(MIN_FETCH_CAP), BUN_FETCH_CAP_RESTARTED: '1' }
  const child = Bun.spawn(Bun.argv, { env, stdio: ['inherit', 'inherit', 'inherit'] })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal))
  process.exit(await child.exited)
}

export async function serveWithBun(
  fetch: (request: Request, server: BunServer) => Response | Promise<Response>,
  options: { name: string; port: number; hostname?: string },
): Promise<void> {
  await ensureFetchCap(options.name)
  const server = Bun.serve({
    port: Number(Bun.env.PORT ?? options.port),
    hostname: Bun.env.HOST ?? options.hostname ?? '0.0.0.0',
    // The `: ping` comments (SSE_PING_INTERVAL_MS, 15 s) keep streams well inside this.
    idleTimeout: 255,
    fetch,
  })
  console.log(`${options.name} (Bun) listening on http://${server.hostname}:${server.port}`)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      server.stop(true)
      process.exit(0)
    })
  }
}
