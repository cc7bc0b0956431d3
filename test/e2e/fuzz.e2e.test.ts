/**
 * Issue 8, black box: the fast-check property of test/worker/fuzz.test.ts through the real Bun
 * and Node entries (and wrangler dev with GATEWAY_RUNTIMES=workers), in front of the emulator:
 * random methods, paths, query strings, headers and bodies at every route; never a 5xx of the
 * app's own, never an unhandled exception (an `internal` outcome on the log line or a crash),
 * always a 4xx JSON with a message or a valid stream.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator } from '../../emulator/server.ts'
import { runtimeAvailable, startGateway, type RunningGateway, type Runtime } from '../support/gateway.ts'
import { checkAnswer, gatewayRequest, toRequest } from '../support/fuzz.ts'

const wanted = (process.env.GATEWAY_RUNTIMES ?? 'bun,node').split(',').map((s) => s.trim())
const RUNTIMES = (['workers', 'bun', 'node'] as Runtime[]).filter((r) => wanted.includes(r) && runtimeAvailable(r))
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000)

describe.each(RUNTIMES)('property: every answer keeps the contract (%s entry)', (runtime) => {
  let emu: Emulator
  let gw: RunningGateway

  beforeAll(async () => {
    emu = await startEmulator()
    gw = await startGateway({ runtime, upstreamUrl: emu.url, logLevel: 'log', vars: { SSE_PING_INTERVAL_MS: '500' } })
  }, 120_000)
  afterAll(async () => {
    await gw?.stop()
    await emu?.close()
  })

  it(`${RUNS} random requests`, async () => {
    await fc.assert(
      fc.asyncProperty(gatewayRequest, async (r) => {
        await checkAnswer(await fetch(toRequest(gw.url, r)), r)
      }),
      { numRuns: RUNS },
    )
    const lines = [...gw.output().matchAll(/\{"event":"request".*\}/g)].map(
      (m) => JSON.parse(m[0]) as { outcome: string; status: number },
    )
    expect(lines.length).toBeGreaterThan(RUNS / 2)
    expect(lines.filter((line) => line.outcome === 'internal' || line.status === 500)).toEqual([])
    expect(gw.output()).not.toMatch(/unhandled|uncaught/i)
    // Still alive and well.
    expect((await fetch(`${gw.url}/health`)).status).toBe(200)
  }, 600_000)
})
