/**
 * `npm run demo`: the whole gateway on this machine with no API keys.
 *
 * Starts the provider emulator (port 8787, or a free one if taken) and the gateway under
 * `wrangler dev` on http://localhost:8000, pointed at the emulator with placeholder keys, prints
 * where to click and what to paste, and stops both on Ctrl-C / SIGTERM.
 *
 *   npm run demo [-- --port 8000 --emulator-port 8787 --defaults "ttft=300 delay=40"]
 */
import { parseArgs } from 'node:util'
import { parseControls } from '../emulator/scenario.ts'
import { startEmulator, type Emulator } from '../emulator/server.ts'
import { freePort, startGateway, type RunningGateway } from '../test/support/gateway.ts'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '8000' },
    'emulator-port': { type: 'string', default: process.env.EMULATOR_PORT ?? '8787' },
    // Visible streaming in the browser: a short think, then ~25 pieces a second.
    defaults: { type: 'string', default: process.env.EMULATOR_DEFAULTS ?? 'ttft=400 delay=40' },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
if (values.help) {
  console.log('usage: npm run demo [-- --port 8000 --emulator-port 8787 --defaults "ttft=400 delay=40" --quiet]')
  process.exit(0)
}

let emu: Emulator | undefined
let gw: RunningGateway | undefined
let stopping = false

async function shutdown(code: number, why?: string): Promise<never> {
  if (!stopping) {
    stopping = true
    if (why) console.log(`\n${why}: stopping the gateway and the emulator...`)
    await Promise.allSettled([gw?.stop(), emu?.close()])
  }
  process.exit(code)
}
process.on('SIGINT', () => void shutdown(0, 'SIGINT'))
process.on('SIGTERM', () => void shutdown(0, 'SIGTERM'))
process.on('SIGHUP', () => void shutdown(0, 'SIGHUP'))

async function listenEmulator(): Promise<Emulator> {
  const defaults = parseControls(values.defaults)
  try {
    return await startEmulator({ port: Number(values['emulator-port']), defaults })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err
    console.warn(`port ${values['emulator-port']} is taken; the emulator uses a free port instead`)
    return startEmulator({ port: 0, defaults })
  }
}

async function gatewayPort(): Promise<number> {
  const wanted = Number(values.port)
  const probe = await fetch(`http://127.0.0.1:${wanted}/`, { signal: AbortSignal.timeout(500) }).catch(() => null)
  if (!probe) return wanted
  const other = await freePort()
  console.warn(`port ${wanted} is taken; the gateway uses ${other} instead`)
  return other
}

try {
  emu = await listenEmulator()
  console.log(`Provider emulator on ${emu.url} (OpenAI ${emu.url}/v1, Gemini ${emu.url})`)
  console.log('Starting the gateway (wrangler dev)...')
  const port = await gatewayPort()
  gw = await startGateway({
    runtime: 'workers',
    upstreamUrl: emu.url,
    port,
    logLevel: 'info',
    readyTimeoutMs: 120_000,
    onOutput: values.quiet
      ? undefined
      : (text) => process.stdout.write(text.replace(/^/gm, '  [wrangler] ').replace(/ {2}\[wrangler\] $/, '')),
  })
} catch (err) {
  console.error(`demo failed to start: ${err instanceof Error ? err.message : String(err)}`)
  await shutdown(1)
}

const base = `http://localhost:${gw!.port}`
console.log(`
  Gateway      ${base}   (health: ${base}/health)
  Test client  ${base}/test_stream.html
  API docs     ${base}/docs
  Emulator     ${emu!.url}   (request log: ${emu!.url}/__emulator/requests)

  Try it:
    curl -N -X POST ${base}/api/stream/chat \\
      -H "Content-Type: application/json" \\
      -d '{"user_input": "Xin chào, bạn có khỏe không?", "provider": "gemini"}'

    curl -N "${base}/api/stream/chat-get?user_input=Hello&provider=openai"

  Faults and timing: put a tag in the prompt, e.g. "Hello [emu fault=drop after=3]",
  "[emu fault=429]", "[emu ttft=2000 delay=100]" (see emulator/README.md).
  No real API is called and no keys are needed. Ctrl-C stops everything.
`)

const code = await gw!.exited
if (!stopping) {
  console.error(`the gateway exited on its own (code ${code})`)
  await shutdown(1)
}
