/**
 * Bun entry: the same app as on Workers, with bindings read from the process
 * environment (same names and defaults) and `static/` served from disk.
 *
 *   PORT=8000 OPENAI_API_KEY=… GEMINI_API_KEY=… bun run src/bun.ts
 *   REDIS_URL=redis://127.0.0.1:6379 … bun run src/bun.ts   # several instances share streams and limits
 */
import { serveStatic } from 'hono/bun'
import { createApp } from './app'
import type { AppEnv } from './app-env'
import { bunEnv, ensureFetchCap, serveWithBun } from './bun-server'
import type { Bindings } from './env'
import { connectRedisFromBindings, redisAppOptions } from './stores/redis/from-bindings'

const NAME = 'LLM SSE gateway'
// Before any connection: this process may only start another with Bun's fetch cap raised, and wait for it.
await ensureFetchCap(NAME)
const bindings: Bindings = bunEnv()
const redis = connectRedisFromBindings(bindings)
// Issue 8: the socket's address for per-caller rate limits (never a client-sent header).
const clientIps = new WeakMap<Request, string>()
const app = createApp({
  ...redisAppOptions(redis),
  clientIp: (request) => clientIps.get(request),
  staticFiles: serveStatic<AppEnv>({ root: new URL('../static', import.meta.url).pathname }),
  // Bun sends the status line and headers only with the first body bytes.
  flushHeadersEarly: true,
})

await serveWithBun(
  (request, server) => {
    const ip = server.requestIP(request)?.address
    if (ip) clientIps.set(request, ip)
    return app.fetch(request, bindings)
  },
  { name: NAME, port: 8000 },
)
