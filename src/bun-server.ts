/**
 * Serves a fetch handler on Bun the way the gateway needs it: `idleTimeout` at Bun's maximum so
 * quiet streams are not cut (Bun's default is 10 s), and a clean stop on SIGINT/SIGTERM.
 *
 * @example
 * serveWithBun((request) => app.fetch(request, Bun.env), { name: 'LLM SSE gateway', port: 8000 })
 */

/** What the gateway uses of Bun's server. */
export interface BunServer {
  port: number
  hostname: string
  stop(closeActiveConnections?: boolean): void
  /** The client's socket address (issue 8: per-caller rate limits by IP). */
  requestIP(request: Request): { address: string } | null
}

declare const Bun: {
  serve(options: {
    port: number
    hostname: string
    idleTimeout: number
    fetch: (request: Request, server: BunServer) => Response | Promise<Response>
  }): BunServer
  env: Record<string, string | undefined>
}

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
