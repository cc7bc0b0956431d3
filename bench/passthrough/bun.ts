/**
 * The pass-through worker (worker.ts) served by Bun, as the baseline for the gateway's Bun runtime.
 *   PORT=… HOST=127.0.0.1 UPSTREAM=http://127.0.0.1:8787 bun run bench/passthrough/bun.ts
 */
import worker, { type PassthroughEnv } from './worker.ts'

declare const Bun: {
  serve(options: { port: number; hostname: string; idleTimeout: number; fetch: (request: Request) => Response | Promise<Response> }): {
    port: number
    hostname: string
    stop(closeActiveConnections?: boolean): void
  }
  env: Record<string, string | undefined>
}

const env: PassthroughEnv = { UPSTREAM: Bun.env.UPSTREAM, API_KEY: Bun.env.API_KEY }
// Same server options as src/bun.ts.
const server = Bun.serve({
  port: Number(Bun.env.PORT ?? 8001),
  hostname: Bun.env.HOST ?? '127.0.0.1',
  idleTimeout: 255,
  fetch: (request) => worker.fetch(request, env),
})
console.log(`bench pass-through (Bun) listening on http://${server.hostname}:${server.port}`)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.stop(true)
    process.exit(0)
  })
}
