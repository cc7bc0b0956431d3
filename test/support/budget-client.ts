/**
 * A caller of a running gateway with a token budget: a JWT of its own (`sub`, optionally a `budget`
 * claim) signed with the gateway's TOKEN_SIGNING_SECRET, its requests, and its figures from
 * `GET /api/usage`, read once or polled until nothing is reserved any more.
 *
 * @example
 * const alice = await budgetCaller(gw.url, SECRET, 'alice', { budget: 300 })
 * const response = await alice.post('/api/stream/chat', { user_input: 'Hi', provider: 'openai' })
 * await alice.settledUsage() // { budget: 'on', limit: 300, used: 117, reserved: 0, … }
 */
import { sign } from 'hono/jwt'

export interface BudgetFigures {
  budget: 'on'
  caller: string
  window: string
  limit: number
  used: number
  reserved: number
  remaining: number
  resets_at: string
}

export interface BudgetCaller {
  sub: string
  post(path: string, body: unknown, init?: RequestInit): Promise<Response>
  usage(): Promise<BudgetFigures>
  /** Polls `GET /api/usage` until `reserved` is 0 (every answer settled), for up to `timeoutMs`. */
  settledUsage(timeoutMs?: number): Promise<BudgetFigures>
}

export async function budgetCaller(
  baseUrl: string,
  secret: string,
  sub: string,
  claims: { budget?: number } = {},
): Promise<BudgetCaller> {
  const token = await sign({ sub, ...claims, exp: Math.floor(Date.now() / 1000) + 600 }, secret, 'HS256')
  const authorization = `Bearer ${token}`
  const usage = async (): Promise<BudgetFigures> => {
    const response = await fetch(`${baseUrl}/api/usage`, { headers: { authorization } })
    if (response.status !== 200) throw new Error(`GET /api/usage: ${response.status} ${await response.text()}`)
    return (await response.json()) as BudgetFigures
  }
  return {
    sub,
    post: (path, body, init = {}) =>
      fetch(`${baseUrl}${path}`, {
        ...init,
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization, ...init.headers },
        body: JSON.stringify(body),
      }),
    usage,
    async settledUsage(timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const figures = await usage()
        if (figures.reserved === 0) return figures
        if (Date.now() > deadline) throw new Error(`still reserved after ${timeoutMs} ms: ${JSON.stringify(figures)}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },
  }
}

/** The input estimate of a one-message `/api` request: its UTF-8 bytes, 8 per message, 32 per request. */
export const seedInputEstimate = (userInput: string): number => Buffer.byteLength(userInput, 'utf8') + 8 + 32

/** The gateway's request log lines (one JSON object per request) in a process's output. */
export function requestLines(output: string): Record<string, unknown>[] {
  return [...output.matchAll(/\{"event":"request".*\}/g)].map(
    (match) => JSON.parse(match[0]) as Record<string, unknown>,
  )
}
