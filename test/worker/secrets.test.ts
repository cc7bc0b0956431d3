import { afterEach, describe, expect, it } from 'vitest'
import { PART_LENGTH } from '../../src/secrets/masker'
import { parseEvents, scenario, upstreamRequests, upstreamUrl } from './helpers'
import { bindings, call, captureLogs, jsonPost } from './app-call'

// Realistic secrets (the suite's own keys are too short and word-like to make the point).
const OPENAI_KEY = 'sk-proj-Lk7Qz2Wx9Rt4Yu6Io1Pa3Sd5Fg8Hj0Kl'
// Shaped like a Google key, yet not long enough to be mistaken for a real one.
const GEMINI_KEY = 'AIzaFAKE-x9Tq2Lm7Np1Rv6Wz3Bk8Hd'
const ACCESS_TOKEN = 'gw-access-Vb3Nm6Qw9Er2Ty5Ui8Op1As4'
const SIGNING_SECRET = 'jwt-signing-Zx7Cv4Bn1Mq8Wr5Et2Yu9Io6'
// Sent upstream as `cf-aig-authorization: Bearer <token>` on every provider request.
const AI_GATEWAY_TOKEN = 'aig-Qw3Er6Ty9Ui2Op5As8Df1Gh4'
const SECRETS = [OPENAI_KEY, GEMINI_KEY, ACCESS_TOKEN, SIGNING_SECRET, AI_GATEWAY_TOKEN]
const binds = bindings({
  OPENAI_API_KEY: OPENAI_KEY,
  GEMINI_API_KEY: GEMINI_KEY,
  ACCESS_TOKENS: ACCESS_TOKEN,
  TOKEN_SIGNING_SECRET: SIGNING_SECRET,
  AI_GATEWAY_TOKEN,
})
const AUTH = { authorization: `Bearer ${ACCESS_TOKEN}` }

/** Every secret, or any PART_LENGTH-character run of one, found in `text`. */
function leaks(text: string): string[] {
  const found: string[] = []
  for (const secret of SECRETS) {
    for (let i = 0; i + PART_LENGTH <= secret.length; i++) {
      if (text.includes(secret.slice(i, i + PART_LENGTH))) found.push(secret.slice(i, i + PART_LENGTH))
    }
  }
  return found
}

type Provider = 'openai' | 'gemini'
interface Exchange {
  status: number
  headers: string
  body: string
  logs: string
}

let logs: ReturnType<typeof captureLogs> | undefined
afterEach(() => logs?.stop())

/** One request through a route, everything the outside world sees of it. */
async function exchange(route: 'stream' | 'ask', provider: Provider, model: string): Promise<Exchange> {
  logs = captureLogs()
  const response =
    route === 'stream'
      ? await call(
          binds,
          `/api/stream/chat-get?user_input=Hi&provider=${provider}&model=${model}&access_token=${ACCESS_TOKEN}`,
        )
      : await call(binds, '/api/flows/ask', jsonPost({ user_input: 'Hi', provider, model }, AUTH))
  const body = await response.text()
  logs.stop()
  return { status: response.status, headers: JSON.stringify([...response.headers]), body, logs: logs.lines.join('\n') }
}

function expectNoLeak(seen: Exchange): void {
  expect(leaks(seen.body), seen.body).toEqual([])
  expect(leaks(seen.headers), seen.headers).toEqual([])
  expect(leaks(seen.logs), seen.logs).toEqual([])
  expect(seen.status).toBeLessThan(600)
}

const fixtureNames = async (): Promise<string[]> => {
  const response = await fetch(`${upstreamUrl()}/__replay/fixtures/index.json`)
  return Object.keys((await response.json()) as Record<string, unknown>)
}

describe('configured keys and tokens never leave the gateway', () => {
  it('across every recorded upstream fixture, streamed and as JSON', async () => {
    const names = await fixtureNames()
    expect(names.filter((name) => name.includes('error')).length).toBeGreaterThanOrEqual(15)
    for (const name of names) {
      const provider: Provider = name.startsWith('openai') ? 'openai' : 'gemini'
      for (const route of ['stream', 'ask'] as const) {
        const model = await scenario({ fixture: name })
        expectNoLeak(await exchange(route, provider, model))
        // The key really went upstream: the test is about what comes back.
        const [sent] = await upstreamRequests(model)
        const keyHeader = provider === 'openai' ? sent?.headers.authorization : sent?.headers['x-goog-api-key']
        expect(keyHeader).toContain(provider === 'openai' ? OPENAI_KEY : GEMINI_KEY)
        expect(sent?.headers['cf-aig-authorization']).toBe(`Bearer ${AI_GATEWAY_TOKEN}`)
      }
    }
  })

  const echoes: [Provider, string, { status: number; body: string; headers?: Record<string, string> }][] = [
    [
      'openai',
      'error message with the key inside a word',
      {
        status: 401,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          error: {
            message: `Incorrect API key provided: apikey_${OPENAI_KEY}_end (part ${OPENAI_KEY.slice(5, 25)}, token ${ACCESS_TOKEN})`,
            type: 'invalid_request_error',
          },
        }),
      },
    ],
    [
      'gemini',
      'error message with the key inside a word',
      {
        status: 400,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          error: {
            code: 400,
            message: `API key not valid: key=${GEMINI_KEY}x and ${GEMINI_KEY.slice(3, 20)} ${SIGNING_SECRET}`,
            status: 'INVALID_ARGUMENT',
          },
        }),
      },
    ],
    [
      'openai',
      'an AI Gateway error quoting its token',
      {
        status: 401,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          success: false,
          result: [],
          messages: [],
          error: [
            { code: 2009, message: `Unauthorized: cf-aig-authorization Bearer ${AI_GATEWAY_TOKEN} is not valid` },
          ],
        }),
      },
    ],
    [
      'gemini',
      'an AI Gateway error quoting its token',
      {
        status: 401,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          error: {
            code: 401,
            message: `gateway token ${AI_GATEWAY_TOKEN.slice(2)}x rejected`,
            status: 'UNAUTHENTICATED',
          },
        }),
      },
    ],
    [
      'openai',
      'the key as the model name',
      {
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
        body: `data: {"id":"c1","object":"chat.completion.chunk","model":"${OPENAI_KEY}","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\ndata: {"id":"c1","object":"chat.completion.chunk","model":"${OPENAI_KEY}","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n`,
      },
    ],
    [
      'gemini',
      'the key as the model name',
      {
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
        body: `data: {"candidates":[{"content":{"parts":[{"text":"Hi"}],"role":"model"},"finishReason":"STOP","index":0}],"modelVersion":"models/x${GEMINI_KEY}"}\n\n`,
      },
    ],
    [
      'openai',
      'an error object mid-stream quoting the key',
      {
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
        body: `data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-4.1-mini","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\ndata: {"error":{"message":"key ${OPENAI_KEY} revoked","type":"server_error"}}\n\n`,
      },
    ],
  ]

  it.each(echoes)('%s: an upstream that echoes secrets (%s)', async (provider, _what, reply) => {
    for (const route of ['stream', 'ask'] as const) {
      const model = await scenario(reply)
      const seen = await exchange(route, provider, model)
      expectNoLeak(seen)
      expect(seen.body).toContain(provider)
    }
  })

  it.each(['openai', 'gemini'] as const)(
    '%s: the echoed model name is replaced by the requested one',
    async (provider) => {
      const reply = echoes.find(([p, what]) => p === provider && what === 'the key as the model name')![2]
      const model = await scenario(reply)
      const seen = await exchange('stream', provider, model)
      const last = parseEvents(seen.body).at(-1)
      expect(last).toMatchObject({ done: true, provider, model })
      const odd = await scenario({
        ...reply,
        body: reply.body.replaceAll(provider === 'openai' ? OPENAI_KEY : `x${GEMINI_KEY}`, '<img src=x>'),
      })
      const oddSeen = await exchange('ask', provider, odd)
      expect(JSON.parse(oddSeen.body)).toMatchObject({ response: 'Hi', model: odd })
    },
  )

  it.each([
    ['openai', 'OPENAI_BASE_URL'],
    ['gemini', 'GEMINI_BASE_URL'],
  ] as const)('%s: a redirect is not followed; the error event names %s', async (provider, binding) => {
    // Another origin (localhost instead of 127.0.0.1) on the same fake upstream, which logs what reaches it.
    const elsewhere = upstreamUrl().replace('127.0.0.1', 'localhost')
    const path =
      provider === 'openai' ? '/steal/v1/chat/completions' : '/steal/v1beta/models/stolen:streamGenerateContent?alt=sse'
    const redirect = await scenario({ status: 307, body: '', headers: { location: `${elsewhere}${path}` } })
    for (const route of ['stream', 'ask'] as const) {
      const seen = await exchange(route, provider, redirect)
      expectNoLeak(seen)
      const message =
        route === 'stream' ? parseEvents(seen.body)[0]?.error : (JSON.parse(seen.body) as { error: string }).error
      expect(message).toBe(
        `${provider}: the provider answered with a redirect (HTTP 307), which the gateway does not follow so that the API key only goes to ${binding}. Check ${binding}: it must be the API's own address.`,
      )
      if (route === 'ask') expect(seen.status).toBe(502)
    }
    expect(await upstreamRequests(redirect)).toHaveLength(2)
    const everything = (await (await fetch(`${upstreamUrl()}/__replay/requests`)).json()) as { path: string }[]
    expect(everything.filter((entry) => entry.path.startsWith('/steal'))).toEqual([])
  })
})
