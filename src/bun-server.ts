/**
 * Serves a fetch handler on Bun the way the gateway needs it: `idleTimeout` at Bun's maximum so
 * quiet streams are not cut (Bun's default is 10 s), and a clean stop on SIGINT/SIGTERM.
 *
 * @example
 * serveWithBun((request) => app.fetch(request, Bun.env), { name: 'LLM SSE gateway', port: 8000 })
 */

import type { Server } from 'bun'

/** What the gateway uses of Bun's server (`requestIP`: the socket address, for per-caller rate limits). */
export type BunServer = Pick<Server<undefined>, 'port' | 'hostname' | 'stop' | 'requestIP'>

/** The process environment on Bun. */
export const bunEnv = (): Record<string, string | undefined> => Bun.env

export function serveWithBun(
  fetch: (request: Request, server: BunServer) => Response | Promise<Response>,
  options: { name: string; port: number; hostname?: string },
): void {
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
