/**
 * The stage worker (worker.ts) served by Bun, to compare each stage's cost with Workers.
 *   PORT=… HOST=127.0.0.1 UPSTREAM=http://127.0.0.1:8787 bun run bench/stages/bun.ts
 */
import worker from './worker.ts'

declare const Bun: {
  serve(options: { port: number; hostname: string; idleTimeout: number; fetch: (request: Request) => Response | Promise<Response> }): {
    port: number
    hostname: string
    stop(closeActiveConnections?: boolean): void
  }
  env: Record<string, string | undefined>
}

const server = Bun.serve({
  port: Number(Bun.env.PORT ?? 8002),
  hostname: Bun.env.HOST ?? '127.0.0.1',
  idleTimeout: 255,
  fetch: (request) => worker.fetch(request, { UPSTREAM: Bun.env.UPSTREAM }),
})
console.log(`bench stages (Bun) listening on http://${server.hostname}:${server.port}`)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.stop(true)
    process.exit(0)
  })
}
