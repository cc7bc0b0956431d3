/**
 * Bun entry: the same app as on Workers, with bindings read from the process
 * environment (same names and defaults) and `static/` served from disk.
 *
 *   PORT=8000 OPENAI_API_KEY=… GEMINI_API_KEY=… bun run src/bun.ts
 */
import { serveStatic } from 'hono/bun'
import { createApp } from './app'
import type { AppEnv } from './app-env'
import type { Bindings } from './env'

declare const Bun: {
  serve(options: {
    port: number
    hostname: string
    idleTimeout: number
    fetch: (request: Request) => Response | Promise<Response>
  }): { port: number; hostname: string; stop(closeActiveConnections?: boolean): void }
  env: Record<string, string | undefined>
}

const bindings: Bindings = Bun.env
const app = createApp({
  staticFiles: serveStatic<AppEnv>({ root: new URL('../static', import.meta.url).pathname }),
  // Bun sends the status line and headers only with the first body bytes.
  flushHeadersEarly: true,
})

const server = Bun.serve({
  port: Number(Bun.env.PORT ?? 8000),
  hostname: Bun.env.HOST ?? '0.0.0.0',
  // Bun cuts a connection after 10 s without bytes by default; quiet streams are kept alive by
  // `: ping` comments (SSE_PING_INTERVAL_MS, 15 s), so allow the maximum Bun accepts.
  idleTimeout: 255,
  fetch: (request) => app.fetch(request, bindings),
})

console.log(`LLM SSE gateway (Bun) listening on http://${server.hostname}:${server.port}`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.stop(true)
    process.exit(0)
  })
}
