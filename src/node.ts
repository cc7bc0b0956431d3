/**
 * Node entry: the same app, bindings from the process environment, `static/` from disk.
 *
 *   PORT=8000 OPENAI_API_KEY=… GEMINI_API_KEY=… npm run start:node
 *   REDIS_URL=redis://127.0.0.1:6379 … npm run start:node   # several instances share streams and limits
 */
import { serve } from '@hono/node-server'
import { serveStatic } from '@hono/node-server/serve-static'
import { fileURLToPath } from 'node:url'
import { createApp } from './app'
import type { AppEnv } from './app-env'
import type { Bindings } from './env'
import { connectRedisFromBindings, redisAppOptions } from './stores/redis/from-bindings'

const bindings: Bindings = process.env
const root = fileURLToPath(new URL('../static', import.meta.url))
// Issue 8: the socket's address for per-caller rate limits (never a client-sent header).
const clientIps = new WeakMap<Request, string>()
const redis = connectRedisFromBindings(bindings)
const app = createApp({
  ...redisAppOptions(redis),
  staticFiles: serveStatic<AppEnv>({ root }),
  clientIp: (request) => clientIps.get(request),
})

const server = serve(
  {
    fetch: (request, { incoming }) => {
      const ip = incoming.socket.remoteAddress
      if (ip) clientIps.set(request, ip)
      return app.fetch(request, bindings)
    },
    port: Number(process.env.PORT ?? 8000),
    hostname: process.env.HOST ?? '0.0.0.0',
  },
  (info) => console.log(`LLM SSE gateway (Node) listening on http://${info.address}:${info.port}`),
)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.close()
    process.exit(0)
  })
}
