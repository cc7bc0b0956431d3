/**
 * Provider errors before the first frame on the OpenAI-compatible API, with the official openai SDK as
 * the client: the status of the gateway's one table (the provider's own, but 502 when it refused the
 * gateway's key), OpenAI's error fields where the status is passed on, a message that names the
 * provider, the status, what happened and what to do, and the provider's own words (which may hold the
 * operator's account details) only in the request's log line.
 */
import OpenAI from 'openai'
import { afterEach, describe, expect, it } from 'vitest'
import { bindings, call, captureLogs, jsonPost } from './app-call'
import { fixtureBytes, gateway, scenario } from './helpers'
import { logLineFor, rejection, sdk, sdkWith } from './openai-api-helpers'

const openai = sdk()
const HI = [{ role: 'user' as const, content: 'Hi' }]

const logs = captureLogs()
afterEach(() => logs.lines.splice(0))

describe('OpenAI errors reach the SDK as its usual error classes', () => {
  /** The client gets the provider, the status, what happened and what to do; never the provider's own words. */
  const errors: [string, number, abstract new (...args: never[]) => Error, string][] = [
    [
      'openai-error-404-model-not-found.json',
      404,
      OpenAI.NotFoundError,
      'openai: model or endpoint not found (HTTP 404). Use a valid model name (request "model" or OPENAI_MODEL) and check OPENAI_BASE_URL.',
    ],
    [
      'openai-error-429-rate-limit.json',
      429,
      OpenAI.RateLimitError,
      'openai: rate limit or quota exceeded (HTTP 429). Wait a little and retry, or check the plan and billing of the account.',
    ],
    [
      'openai-error-400-unsupported-parameter.json',
      400,
      OpenAI.BadRequestError,
      'openai: request rejected (HTTP 400). Check the model name and the request parameters.',
    ],
    [
      'openai-error-503-overloaded.json',
      503,
      OpenAI.InternalServerError,
      'openai: service unavailable or overloaded (HTTP 503). Retry in a few seconds.',
    ],
  ]
  for (const [fixture, status, ErrorClass, message] of errors) {
    it(`${fixture} → ${ErrorClass.name} ${status}, OpenAI's fields kept, its own text only in the log`, async () => {
      const model = await scenario({ fixture })
      const upstream = JSON.parse(new TextDecoder().decode(await fixtureBytes(fixture))) as {
        error: { message: string; type: string; param: string | null; code: string | null }
      }
      for (const stream of [true, false]) {
        const error = (await rejection(
          sdkWith(bindings({})).chat.completions.create({ model: `openai/${model}`, messages: HI, stream }),
        )) as InstanceType<typeof OpenAI.APIError>
        expect(error).toBeInstanceOf(ErrorClass)
        expect(error.status).toBe(status)
        expect(error.error).toEqual({
          message,
          type: upstream.error.type,
          param: upstream.error.param,
          code: upstream.error.code,
        })
        // The provider's words (the organisation id of the 429 among them) go to the log line only.
        const logged = logLineFor(logs, error.requestID ?? null).error as { cause: string }
        expect(logged.cause.startsWith(`HTTP ${status}: ${upstream.error.message.slice(0, 40)}`), logged.cause).toBe(
          true,
        )
      }
    })
  }

  it("OpenAI refusing the gateway's own key (401) is a 502 naming OPENAI_API_KEY, not the client's AuthenticationError", async () => {
    const fixture = 'openai-error-401-invalid-api-key.json'
    const model = await scenario({ fixture })
    for (const stream of [true, false]) {
      const response = await call(
        bindings({}),
        '/v1/chat/completions',
        jsonPost({ model: `openai/${model}`, messages: HI, stream }),
      )
      expect(response.status).toBe(502)
      // The same request would fail the same way: the SDKs are told not to retry it.
      expect(response.headers.get('x-should-retry')).toBe('false')
      const body = (await response.json()) as { error: unknown }
      expect(body.error).toEqual({
        message: 'openai: invalid API key (HTTP 401). Check the OPENAI_API_KEY secret.',
        type: 'server_error',
        param: null,
        code: 'upstream_status',
      })
      const logged = logLineFor(logs, response.headers.get('x-request-id')).error as { cause: string }
      expect(logged.cause).toMatch(/^HTTP 401: Incorrect API key provided: sk-tes… You can find/)
      expect(logged.cause).not.toContain('1234')
    }
    const error = await rejection(openai.chat.completions.create({ model: `openai/${model}`, messages: HI }))
    expect(error).toBeInstanceOf(OpenAI.InternalServerError)
    expect(error).not.toBeInstanceOf(OpenAI.AuthenticationError)
  })

  it("the 429's organisation id and limits never reach the client, streamed or not", async () => {
    const model = await scenario({ fixture: 'openai-error-429-rate-limit.json' })
    for (const stream of [true, false]) {
      const response = await call(
        bindings({ RETRIES: '0' }),
        '/v1/chat/completions',
        jsonPost({ model: `openai/${model}`, messages: HI, stream }),
      )
      expect(response.status).toBe(429)
      const text = await response.text()
      expect(text).not.toContain('org-')
      expect(text).not.toContain('RPM')
      const logged = logLineFor(logs, response.headers.get('x-request-id')).error as { cause: string }
      expect(logged.cause).toContain('in organization org-2UNBOwAjq6LkaA8Fl347aXVc')
    }
  })
})

describe('Gemini errors reach the SDK as its usual error classes', () => {
  const cases: [string, number, abstract new (...args: never[]) => Error, string][] = [
    // Gemini's 400 API_KEY_INVALID and 403 are the gateway's key, not the client's request: 502.
    [
      'gemini-error-400-api-key-invalid.json',
      502,
      OpenAI.InternalServerError,
      'gemini: invalid API key (HTTP 400). Check the GEMINI_API_KEY secret.',
    ],
    [
      'gemini-error-403-no-api-key.json',
      502,
      OpenAI.InternalServerError,
      'gemini: access denied (HTTP 403). Check that GEMINI_API_KEY is valid and allowed to use this API and model.',
    ],
    [
      'gemini-error-404-model-not-found.json',
      404,
      OpenAI.NotFoundError,
      'gemini: model or endpoint not found (HTTP 404). Use a valid model name (request "model" or GEMINI_MODEL) and check GEMINI_BASE_URL.',
    ],
    [
      'gemini-error-429-resource-exhausted.json',
      429,
      OpenAI.RateLimitError,
      'gemini: rate limit or quota exceeded (HTTP 429). Wait a little and retry, or check the plan and billing of the account.',
    ],
    [
      'gemini-error-500-internal.json',
      500,
      OpenAI.InternalServerError,
      'gemini: server error (HTTP 500). Retry later.',
    ],
    [
      'gemini-error-503-overloaded.json',
      503,
      OpenAI.InternalServerError,
      'gemini: service unavailable or overloaded (HTTP 503). Retry in a few seconds.',
    ],
  ]
  for (const [fixture, status, ErrorClass, message] of cases) {
    it(`${fixture} → ${ErrorClass.name} ${status}`, async () => {
      const model = await scenario({ fixture })
      for (const stream of [true, false]) {
        const error = await rejection(
          openai.chat.completions.create({ model: `gemini/${model}`, messages: HI, stream }),
        )
        expect(error).toBeInstanceOf(ErrorClass)
        expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(status)
        expect((error as Error).message).toBe(`${status} ${message}`)
      }
    })
  }

  it("a 403 SERVICE_DISABLED: the Google project number stays in the log's cause, not in the client's bytes", async () => {
    const model = await scenario({ fixture: 'gemini-error-403-service-disabled.json' })
    for (const stream of [true, false]) {
      const error = (await rejection(
        sdkWith(bindings({})).chat.completions.create({ model: `gemini/${model}`, messages: HI, stream }),
      )) as InstanceType<typeof OpenAI.APIError>
      expect(error.status).toBe(502)
      expect(error.error).toEqual({
        message:
          'gemini: access denied (HTTP 403). Check that GEMINI_API_KEY is valid and allowed to use this API and model.',
        type: 'server_error',
        param: null,
        code: 'upstream_status',
      })
      expect(JSON.stringify(error.error)).not.toContain('12345678')
      const logged = logLineFor(logs, error.requestID ?? null).error as { cause: string }
      expect(logged.cause).toMatch(/^HTTP 403: Generative Language API has not been used in project 12345678 before/)
    }
  })

  it("429 carries retry-after from Gemini's RetryInfo", async () => {
    const model = await scenario({ fixture: 'gemini-error-429-resource-exhausted.json' })
    const response = await gateway('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: `gemini/${model}`, messages: HI }),
    })
    expect(response.status).toBe(429)
    expect(response.headers.get('retry-after')).toBe('26')
    const body = (await response.json()) as { error: Record<string, unknown> }
    expect(body.error).toMatchObject({ type: 'rate_limit_error', param: null, code: 'resource_exhausted' })
  })
})
