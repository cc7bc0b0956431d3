/**
 * The AI SDK peer (app.ts) on Bun, with the gateway's own Bun server options.
 *   PORT=… HOST=127.0.0.1 UPSTREAM=http://127.0.0.1:8787 bun run bench/peers/ai-sdk/bun.ts
 */
import { bunEnv, serveWithBun } from '../../../src/bun-server.ts'
import { createAiSdkApp } from './app.ts'

const app = createAiSdkApp()
const env = { UPSTREAM: bunEnv().UPSTREAM, API_KEY: bunEnv().API_KEY }
await serveWithBun((request) => app.fetch(request, env), {
  name: 'bench AI SDK peer',
  port: 8004,
  hostname: '127.0.0.1',
})
