/**
 * The pass-through worker (worker.ts) served by Node through @hono/node-server, the same adapter
 * src/node.ts uses, as the baseline for the gateway's Node runtime.
 *   PORT=… HOST=127.0.0.1 UPSTREAM=http://127.0.0.1:8787 node bench/passthrough/node.ts
 */
import { serve } from '@hono/node-server'
import worker, { type PassthroughEnv } from './worker.ts'

const env: PassthroughEnv = { UPSTREAM: process.env.UPSTREAM, API_KEY: process.env.API_KEY }
const server = serve(
  {
    fetch: (request) => worker.fetch(request, env),
    port: Number(process.env.PORT ?? 8001),
    hostname: process.env.HOST ?? '127.0.0.1',
  },
  (info) => console.log(`bench pass-through (Node) listening on http://${info.address}:${info.port}`),
)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.close()
    process.exit(0)
  })
}
