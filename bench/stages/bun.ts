/**
 * The stage worker (worker.ts) served by Bun, to compare each stage's cost with Workers.
 *   PORT=… HOST=127.0.0.1 UPSTREAM=http://127.0.0.1:8787 bun run bench/stages/bun.ts
 */
import { bunEnv, serveWithBun } from '../../src/bun-server.ts'
import worker from './worker.ts'

await serveWithBun((request) => worker.fetch(request, { UPSTREAM: bunEnv().UPSTREAM }), { name: 'bench stages', port: 8002, hostname: '127.0.0.1' })
