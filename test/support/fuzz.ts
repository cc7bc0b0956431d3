/**
 * Issue 8: random requests for the property tests (fast-check), shared by the workerd suite and
 * the black-box Bun / Node suite, and the check every answer must pass: never a 5xx of the app's
 * own (only /api/flows/ask relays a provider's failure as 502/503/504 JSON naming it), always an
 * X-Request-Id, a 4xx is JSON with a message, a 200 stream is well-formed SSE that ends with a
 * `done: true` event.
 *
 * @example
 * await fc.assert(fc.asyncProperty(gatewayRequest, async (r) => { await checkAnswer(await send(r), r) }))
 */
import fc from 'fast-check'

export interface FuzzRequest {
  method: string
  path: string
  headers: Record<string, string>
  body: string | undefined
}

const ROUTES = [
  '/api/stream/chat',
  '/api/stream/chat-get',
  '/api/stream/sse',
  '/api/flows/ask',
  '/api/nope',
  '/health',
  '/openapi.json',
  '/docs',
  '/',
  '/test_stream.html',
  '/test_stream.js',
  '/test_stream_fetch.js',
  '/_headers',
]
const ODD_SUFFIXES = [
  '%00',
  '%ZZ',
  '%E0%A4%A',
  '/..%2f..%2fwrangler.toml',
  '%2e%2e',
  '/',
  '//x',
  '.bak',
  '%20',
  '/%00/x',
  '~',
  '%0d%0aSet-Cookie:x=1',
]
const QUERY_KEYS = [
  'user_input',
  'provider',
  'model',
  'count',
  'interval_ms',
  'max_tokens',
  'temperature',
  'system',
  'access_token',
  'messages',
]
const QUERY_VALUES = [
  'openai',
  'gemini',
  '1',
  '0',
  '-1',
  '1e9',
  'NaN',
  '',
  'Hi',
  '../../etc/passwd',
  '%00',
  'null',
  '[]',
  '{}',
]

/** Printable ASCII only: what any HTTP client can put in a header value. */
const headerValue = fc.string({
  unit: fc.constantFrom(
    ...' !#$%&()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~'.split(''),
  ),
  maxLength: 40,
})
const text = fc.string({ maxLength: 30, unit: 'grapheme' })

const chatBody = fc.record(
  {
    user_input: fc.oneof(text, fc.integer(), fc.constant(null), fc.constant('   ')),
    provider: fc.oneof(fc.constantFrom('openai', 'gemini'), text, fc.integer()),
    model: fc.oneof(fc.constantFrom('gpt-4.1-mini', 'gemini-2.5-flash', '../x', 'a..b'), text),
    system: fc.oneof(text, fc.integer()),
    temperature: fc.oneof(fc.double(), fc.string()),
    max_tokens: fc.oneof(fc.integer(), fc.double(), fc.string()),
    messages: fc.oneof(
      fc.array(
        fc.record({
          role: fc.oneof(fc.constantFrom('user', 'assistant', 'system'), text),
          content: fc.oneof(text, fc.integer()),
        }),
        { maxLength: 3 },
      ),
      text,
    ),
  },
  { requiredKeys: [] },
)

const body = fc.oneof(
  fc.constant(undefined),
  chatBody.map((value) => JSON.stringify(value)),
  fc.json({ maxDepth: 2 }),
  fc.string({ maxLength: 60 }),
  fc.constantFrom('{"user_input": "Hi",', '\u0000', '{"user_input":"Hi","__proto__":{"x":1}}', '[]', 'null'),
)

const query = fc.array(
  fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS), text), fc.oneof(fc.constantFrom(...QUERY_VALUES), text)),
  { maxLength: 4 },
)

const headers = fc.record(
  {
    'content-type': fc.oneof(
      fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/vnd.api+json',
      ),
      headerValue,
    ),
    authorization: fc.oneof(fc.constantFrom('Bearer ', 'Bearer x', 'Basic YTpi', 'bearer a.b.c'), headerValue),
    'x-request-id': headerValue,
    origin: fc.oneof(fc.constantFrom('https://evil.example', 'null'), headerValue),
    accept: fc.constantFrom('text/event-stream', '*/*', 'application/json'),
    'cf-connecting-ip': fc.ipV4(),
    'last-event-id': headerValue,
  },
  { requiredKeys: [] },
)

export const gatewayRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    method: fc.constantFrom('GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
    route: fc.constantFrom(...ROUTES),
    suffix: fc.oneof(
      fc.constant(''),
      fc.constant(''),
      fc.constantFrom(...ODD_SUFFIXES),
      fc.webSegment().map((s) => `/${s}`),
    ),
    query,
    headers,
    body,
  })
  .map(({ method, route, suffix, query, headers, body }) => {
    const search = query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')
    return {
      method,
      path: `${route}${suffix}${search ? `?${search}` : ''}`,
      headers,
      body: method === 'GET' || method === 'HEAD' ? undefined : body,
    }
  })

export function toRequest(base: string, r: FuzzRequest, signal?: AbortSignal): Request {
  return new Request(`${base}${r.path}`, {
    method: r.method,
    headers: r.headers,
    body: r.body,
    redirect: 'manual',
    signal,
  })
}

/** Reads at most `ms` of a body; a stream still open then is cut (its bytes so far are checked). */
async function readFor(response: Response, ms: number): Promise<{ text: string; complete: boolean }> {
  if (!response.body) return { text: '', complete: true }
  const reader = response.body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  const deadline = Date.now() + ms
  for (;;) {
    const left = deadline - Date.now()
    const step =
      left > 0
        ? await Promise.race([reader.read(), new Promise<'late'>((r) => setTimeout(() => r('late'), left))])
        : 'late'
    if (step === 'late') {
      await reader.cancel().catch(() => {})
      return { text, complete: false }
    }
    if (step.done) return { text: text + decoder.decode(), complete: true }
    text += decoder.decode(step.value, { stream: true })
  }
}

/** Throws with the reason when an answer breaks the contract. */
export async function checkAnswer(response: Response, r: FuzzRequest, readMs = 3000): Promise<void> {
  const where = `${r.method} ${r.path}`
  const fail = (why: string, detail = ''): never => {
    throw new Error(`${where}: ${why} ${detail}`.slice(0, 600))
  }
  if (response.status >= 500) {
    // The one documented 5xx: /api/flows/ask relays a provider's failure (502/503/504) as JSON naming it.
    const body = await response.text()
    const relayed = /^\/api\/flows\/ask(\?|$)/.test(r.path) && [502, 503, 504].includes(response.status)
    const parsed = relayed ? (JSON.parse(body) as { error?: unknown; request_id?: unknown }) : {}
    if (!relayed || !/^(openai|gemini): /.test(String(parsed.error)) || typeof parsed.request_id !== 'string') {
      fail(`answered ${response.status}`, body)
    }
    return
  }
  if (!response.headers.get('x-request-id')) fail('no X-Request-Id')
  const type = response.headers.get('content-type') ?? ''
  const { text, complete } = await readFor(response, readMs)
  if (/\/(work|home|usr|tmp|root)\/\S/.test(text)) fail('shows a file system path', text)
  if (r.method === 'HEAD' || response.status === 204 || response.status === 302 || response.status === 304) return
  if (response.status >= 400) {
    if (!type.startsWith('application/json')) fail(`a ${response.status} that is not JSON`, type)
    const parsed = JSON.parse(text) as { error?: unknown }
    if (typeof parsed.error !== 'string' || parsed.error.length === 0)
      fail(`a ${response.status} without a message`, text)
    return
  }
  if (!type.startsWith('text/event-stream')) return // health, documents, static files
  const blocks = text.split('\n\n')
  const rest = blocks.pop()
  if (complete && rest !== '') fail('a stream that does not end with a blank line', text.slice(-200))
  let last: { done?: unknown; error?: unknown } | undefined
  if (blocks[0] === 'retry: 1000') blocks.shift() // a resumable stream's reconnect hint
  for (const framed of blocks) {
    if (framed === ': ping' || framed === ': open') continue
    // A resumable stream's events carry `id: <stream id>:<n>` before their data line.
    const block = /^id: [A-Za-z0-9_-]{24}:[1-9][0-9]*\n/.test(framed) ? framed.slice(framed.indexOf('\n') + 1) : framed
    if (!block.startsWith('data: ') || block.includes('\n')) fail('not a single data line', framed)
    const event = JSON.parse(block.slice(6)) as { chunk?: unknown; done?: unknown; error?: unknown }
    if (last?.done === true) fail('an event after the last one', block)
    if (event.done === false && typeof event.chunk !== 'string') fail('a piece without text', block)
    if (event.done === true && typeof event.error !== 'string' && event.chunk !== '') fail('a bad closing event', block)
    last = event
  }
  if (complete && last?.done !== true) fail('a stream that ends without a done event', text.slice(-300))
}
