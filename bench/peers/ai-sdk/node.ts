/**
 * The AI SDK peer (app.ts) on Node through @hono/node-server, the adapter src/node.ts uses.
 *   PORT=… HOST=127.0.0.1 UPSTREAM=http://127.0.0.1:8787 node bench/peers/ai-sdk/node.ts
 */
import { serve } from '@hono/node-server'
import { createAiSdkApp } from './app.ts'

const app = createAiSdkApp()
const env = { UPSTREAM: process.env.UPSTREAM, API_KEY: process.env.API_KEY }
const server = serve(
  {
    fetch: (request) => app.fetch(request, env),
    port: Number(process.env.PORT ?? 8004),
    hostname: process.env.HOST ?? '127.0.0.1',
  },
  (info) => console.log(`bench AI SDK peer (Node) listening on http://${info.address}:${info.port}`),
)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.close()
    process.exit(0)
  })
}
