/**
 * The lean peer (app.ts) on Node through @hono/node-server, the adapter src/node.ts uses.
 *   PORT=… HOST=127.0.0.1 UPSTREAM=http://127.0.0.1:8787 node bench/peers/lean/node.ts
 */
import { serve } from '@hono/node-server'
import { createLeanApp } from './app.ts'

const app = createLeanApp()
const env = { UPSTREAM: process.env.UPSTREAM, API_KEY: process.env.API_KEY }
const server = serve(
  {
    fetch: (request) => app.fetch(request, env),
    port: Number(process.env.PORT ?? 8003),
    hostname: process.env.HOST ?? '127.0.0.1',
  },
  (info) => console.log(`bench lean peer (Node) listening on http://${info.address}:${info.port}`),
)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.close()
    process.exit(0)
  })
}
