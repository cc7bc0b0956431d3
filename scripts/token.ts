/**
 * Mints a short-lived access token for the gateway (HS256 JWT with `sub` and `exp`, and `budget` with
 * --budget: the caller's tokens per TOKEN_BUDGET window, instead of TOKEN_BUDGET's), signed with
 * TOKEN_SIGNING_SECRET from the environment or .dev.vars. Prints the token alone on stdout.
 *
 *   TOKEN_SIGNING_SECRET=… npm run token -- --sub alice --ttl 3600 --budget 20000
 *   curl -N -H "Authorization: Bearer $(npm run -s token -- --sub alice)" http://localhost:8000/api/stream/chat-get?user_input=Hi
 */
import { existsSync, readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { sign } from 'hono/jwt'

function secretFromDevVars(): string | undefined {
  if (!existsSync('.dev.vars')) return undefined
  const line = readFileSync('.dev.vars', 'utf8')
    .split(/\r?\n/)
    .find((entry) => /^\s*TOKEN_SIGNING_SECRET\s*=/.test(entry))
  return (
    line
      ?.replace(/^\s*TOKEN_SIGNING_SECRET\s*=\s*/, '')
      .replace(/^(["'])(.*)\1$/, '$2')
      .trim() || undefined
  )
}

function fail(message: string): never {
  process.stderr.write(`token: ${message}\n`)
  process.exit(2)
}

const { values } = parseArgs({
  options: { sub: { type: 'string' }, ttl: { type: 'string', default: '3600' }, budget: { type: 'string' } },
  strict: true,
})
const sub = values.sub?.trim()
if (!sub) fail('--sub NAME is required (the caller identity that limits and logs will show)')
const ttl = Number(values.ttl)
if (!Number.isInteger(ttl) || ttl <= 0)
  fail(`--ttl must be a whole number of seconds (got ${JSON.stringify(values.ttl)})`)
const budget = values.budget === undefined ? undefined : Number(values.budget)
if (budget !== undefined && (!/^\s*\d+\s*$/.test(values.budget ?? '') || !Number.isSafeInteger(budget)))
  fail(
    `--budget must be a whole number of tokens per TOKEN_BUDGET window, 0 or more (got ${JSON.stringify(values.budget)})`,
  )
const secret = process.env.TOKEN_SIGNING_SECRET?.trim() || secretFromDevVars()
if (!secret) fail('set TOKEN_SIGNING_SECRET in the environment or in .dev.vars')

const now = Math.floor(Date.now() / 1000)
const claims = { sub, iat: now, exp: now + ttl, ...(budget === undefined ? {} : { budget }) }
process.stdout.write(`${await sign(claims, secret, 'HS256')}\n`)
