/**
 * The pass-through worker (worker.ts) served by Bun, as the baseline for the gateway's Bun runtime.
 *   PORT=… HOST=127.0.0.1 UPSTREAM=http://127.0.0.1:8787 bun run bench/passthrough/bun.ts
 */
import { bunEnv, serveWithBun } from '../../src/bun-server.ts'
import worker, { type PassthroughEnv } from './worker.ts'

const env: PassthroughEnv = { UPSTREAM: bunEnv().UPSTREAM, API_KEY: bunEnv().API_KEY }
// Same server options as src/bun.ts.
await serveWithBun((request) => worker.fetch(request, env), {
  name: 'bench pass-through',
  port: 8001,
  hostname: '127.0.0.1',
})
