/**
 * `npm run token`: the signed token it prints carries `sub`, `exp` and, with `--budget N`, the
 * `budget` claim the gateway reads as that caller's tokens per TOKEN_BUDGET window.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { verify } from 'hono/jwt'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../support/gateway.ts'

const run = promisify(execFile)
const SECRET = 'token-script-secret-Vb3Nm6Qw1'

const token = (args: string[]) =>
  run(process.execPath, ['scripts/token.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, TOKEN_SIGNING_SECRET: SECRET },
  })

describe('npm run token', () => {
  it('--budget N adds the budget claim; without it there is none', async () => {
    const withBudget = await verify(
      (await token(['--sub', 'alice', '--budget', '20000'])).stdout.trim(),
      SECRET,
      'HS256',
    )
    expect(withBudget).toMatchObject({ sub: 'alice', budget: 20000 })
    expect(Number(withBudget.exp) - Number(withBudget.iat)).toBe(3600)
    const zero = await verify((await token(['--sub', 'bob', '--budget', '0'])).stdout.trim(), SECRET, 'HS256')
    expect(zero.budget).toBe(0)
    const without = await verify((await token(['--sub', 'carol'])).stdout.trim(), SECRET, 'HS256')
    expect(without).not.toHaveProperty('budget')
  })

  it('a --budget that is not a whole number ≥ 0: exit 2 and a message naming it, no token', async () => {
    for (const bad of ['-5', '1.5', 'lots', '']) {
      const failure = await token(['--sub', 'alice', `--budget=${bad}`]).catch((error: unknown) => error)
      expect(failure).toMatchObject({
        code: 2,
        stdout: '',
        stderr: `token: --budget must be a whole number of tokens per TOKEN_BUDGET window, 0 or more (got ${JSON.stringify(bad)})\n`,
      })
    }
  })
})
