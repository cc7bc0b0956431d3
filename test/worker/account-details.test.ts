import { afterEach, describe, expect, it } from 'vitest'
import { bindings, call, captureLogs, jsonPost } from './app-call'
import { readStream, scenario } from './helpers'

/**
 * A provider's error text can name the operator's account: OpenAI's rate limit message names the
 * organisation, Google's SERVICE_DISABLED the project number. Clients get the provider, the status,
 * what happened and what to do; the provider's own words reach the log line only, as the cause.
 */
let logs: ReturnType<typeof captureLogs> | undefined
afterEach(() => {
  logs?.stop()
  logs = undefined
})

const cases = [
  {
    fixture: 'openai-error-429-rate-limit.json',
    provider: 'openai',
    status: 429,
    account: 'org-2UNBOwAjq6LkaA8Fl347aXVc',
    message:
      'openai: rate limit or quota exceeded (HTTP 429). Wait a little and retry, or check the plan and billing of the account.',
    askStatus: 429,
    cause:
      'HTTP 429: Rate limit reached for gpt-4o-mini in organization org-2UNBOwAjq6LkaA8Fl347aXVc on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms. Visit https://platform.openai.com/account/rate-limits to learn more',
  },
  {
    fixture: 'gemini-error-403-service-disabled.json',
    provider: 'gemini',
    status: 403,
    account: '12345678',
    message:
      'gemini: access denied (HTTP 403). Check that GEMINI_API_KEY is valid and allowed to use this API and model.',
    // The gateway's own key is refused: the operator's problem, not the client's request.
    askStatus: 502,
    cause:
      'HTTP 403: Generative Language API has not been used in project 12345678 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/generativelanguage.googleapis.com/overview?project=12345678 then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry',
  },
]

describe('the operator’s account details never reach the client, only the log line', () => {
  for (const { fixture, provider, status, account, message, askStatus, cause } of cases) {
    it(`${fixture}: the event, the /api/flows/ask reply and the log line`, async () => {
      const model = await scenario({ fixture })
      const binds = bindings({ RETRIES: '0' })
      logs = captureLogs()
      const stream = await call(binds, '/api/stream/chat', jsonPost({ user_input: 'Hi', provider, model }))
      const { raw, wire } = await readStream(stream)
      expect(raw).toBe(`data: ${JSON.stringify({ error: message, done: true })}\n\n`)
      expect(wire).not.toContain(account)

      const ask = await call(binds, '/api/flows/ask', jsonPost({ user_input: 'Hi', provider, model }))
      const askBody = await ask.text()
      expect(ask.status).toBe(askStatus)
      expect(askBody).toBe(JSON.stringify({ error: message, request_id: ask.headers.get('x-request-id') }))
      expect(askBody).not.toContain(account)

      const lines = logs.records()
      expect(lines.map((line) => [line.route, line.outcome, line.error])).toEqual([
        [
          '/api/stream/chat',
          'upstream_status',
          {
            kind: 'upstream_status',
            status,
            message: `ProviderError: ${message}`,
            cause,
          },
        ],
        [
          '/api/flows/ask',
          'upstream_status',
          {
            kind: 'upstream_status',
            status,
            message: `ProviderError: ${message}`,
            cause,
          },
        ],
      ])
    })
  }
})
