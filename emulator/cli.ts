/**
 * Runs the provider emulator in the foreground.
 *
 *   node emulator/cli.ts [--port 8787] [--host 127.0.0.1] [--defaults "ttft=300 delay=40"] [--keep-alive-ms 5000] [--backlog 511] [--piece-times]
 *
 * Prints its URL (and the base URLs to configure) and stops on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util'
import { parseControls } from './scenario.ts'
import { startEmulator } from './server.ts'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.EMULATOR_PORT ?? '8787' },
    host: { type: 'string', default: process.env.EMULATOR_HOST ?? '127.0.0.1' },
    defaults: { type: 'string', default: process.env.EMULATOR_DEFAULTS ?? '' },
    'keep-alive-ms': { type: 'string', default: '5000' },
    backlog: { type: 'string', default: '511' },
    'piece-times': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
})

if (values.help) {
  console.log(
    'usage: node emulator/cli.ts [--port 8787] [--host 127.0.0.1] [--defaults "ttft=300 delay=40"] [--keep-alive-ms 5000] [--backlog 511] [--piece-times]',
  )
  process.exit(0)
}

const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid --port ${values.port}`)
  process.exit(2)
}

try {
  const emu = await startEmulator({
    port,
    host: values.host,
    defaults: parseControls(values.defaults),
    keepAliveTimeoutMs: Number(values['keep-alive-ms']) || 5000,
    backlog: Number(values.backlog) || 511,
    recordPieceTimes: values['piece-times'],
  })
  console.log(`Provider emulator listening on ${emu.url}`)
  console.log(`  OPENAI_BASE_URL=${emu.url}/v1`)
  console.log(`  GEMINI_BASE_URL=${emu.url}`)
  console.log(`  request log:     ${emu.url}/__emulator/requests`)
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    console.log(`\n${signal}: stopping emulator`)
    emu.close().then(() => process.exit(0))
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
} catch (err) {
  const code = (err as NodeJS.ErrnoException).code
  console.error(code === 'EADDRINUSE' ? `port ${port} is already in use (try --port 0)` : String(err))
  process.exit(1)
}
