/**
 * OpenAI Chat Completions: `POST /v1/chat/completions`, streamed (SSE, `data: <json>\n\n`,
 * `data: [DONE]`) or not, with the real service's auth and validation errors (as recorded in test/fixtures/).
 */
import { defaultAfter, expectedRefusal, expectedAnswer, splitText } from './answer.ts'
import { faultReply, openaiErrors, withRetryAfter, type ErrorReply } from './errors.ts'
import type { Exchange } from './exchange.ts'
import { estimateTokens, isObject, jsonTypeName, obfuscation, randomId, readBody, tryJson } from './format.ts'
import type { HandlerContext } from './attempts.ts'
import {
  CUTTING_FAULTS,
  baseModel,
  forAttempt,
  formatScenario,
  parseScenario,
  type Scenario,
  withOutputLimit,
} from './scenario.ts'

const ROLES = ['system', 'assistant', 'user', 'function', 'tool', 'developer']
const KNOWN_PARAMS = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'temperature',
  'top_p',
  'n',
  'stop',
  'max_tokens',
  'max_completion_tokens',
  'presence_penalty',
  'frequency_penalty',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'user',
  'seed',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'functions',
  'function_call',
  'service_tier',
  'store',
  'metadata',
  'modalities',
  'audio',
  'prediction',
  'reasoning_effort',
  'verbosity',
  'web_search_options',
  'safety_identifier',
  'prompt_cache_key',
  'prompt_cache_retention',
])
/** Request model name → the dated snapshot name the real API reports. */
export const SNAPSHOTS: Record<string, string> = {
  'gpt-4o-mini': 'gpt-4o-mini-2024-07-18',
  'gpt-4o': 'gpt-4o-2024-08-06',
  'gpt-4.1': 'gpt-4.1-2025-04-14',
  'gpt-4.1-mini': 'gpt-4.1-mini-2025-04-14',
  'gpt-4.1-nano': 'gpt-4.1-nano-2025-04-14',
  'gpt-5': 'gpt-5-2025-08-07',
  'gpt-5-mini': 'gpt-5-mini-2025-08-07',
  'gpt-5-nano': 'gpt-5-nano-2025-08-07',
}
/** Model names the emulator answers 404 model_not_found for. */
export const MISSING_MODEL = /not-?found|nonexistent|does-not-exist/i

export const SSE_HEADERS = (requestId: string): Record<string, string> => ({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-request-id': requestId,
  'openai-version': '2020-10-01',
  'openai-processing-ms': '42',
  'x-ratelimit-limit-requests': '500',
  'x-ratelimit-remaining-requests': '499',
  'x-ratelimit-reset-requests': '120ms',
})

/** The text of a message's content (string, or the `text` parts of an array). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content
  if (Array.isArray(content)) {
    return content.map((p) => (isObject(p) && typeof p.text === 'string' ? p.text : '')).join('')
  }
  return ''
}

export function bearerKey(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S.*)$/i.exec(header?.trim() ?? '')
  return m?.[1]?.trim() || undefined
}

/** Validates the body the way the real endpoint does; returns the first error. */
export function validateOpenAI(body: Record<string, unknown>): ErrorReply | undefined {
  const v = openaiErrors.validation
  for (const key of Object.keys(body)) {
    if (!KNOWN_PARAMS.has(key)) {
      return openaiErrors.unrecognized(key)
    }
  }
  if (typeof body.model !== 'string' || body.model === '') return openaiErrors.missingModel()
  const messages = body.messages
  if (messages === undefined)
    return v('missing_required_parameter', 'messages', "Missing required parameter: 'messages'.")
  if (!Array.isArray(messages)) {
    return v(
      'invalid_type',
      'messages',
      `Invalid type for 'messages': expected an array, but got ${jsonTypeName(messages)} instead.`,
    )
  }
  if (messages.length === 0) {
    return v(
      'empty_array',
      'messages',
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
    )
  }
  for (const [i, m] of messages.entries()) {
    const at = `messages[${i}]`
    if (!isObject(m))
      return v('invalid_type', at, `Invalid type for '${at}': expected an object, but got ${jsonTypeName(m)} instead.`)
    if (m.role === undefined)
      return v('missing_required_parameter', `${at}.role`, `Missing required parameter: '${at}.role'.`)
    if (typeof m.role !== 'string' || !ROLES.includes(m.role)) {
      return v(
        'invalid_value',
        `${at}.role`,
        `Invalid value: '${String(m.role)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
      )
    }
    const optional =
      m.role === 'assistant' && (m.tool_calls !== undefined || m.content === null || m.function_call !== undefined)
    if (m.content === undefined && !optional) {
      return v('missing_required_parameter', `${at}.content`, `Missing required parameter: '${at}.content'.`)
    }
    if (m.content !== undefined && !optional && typeof m.content !== 'string' && !Array.isArray(m.content)) {
      return v(
        'invalid_type',
        `${at}.content`,
        `Invalid type for '${at}.content': expected one of a string or array of objects, but got ${jsonTypeName(m.content)} instead.`,
      )
    }
    if (Array.isArray(m.content)) {
      for (const [j, p] of m.content.entries()) {
        const pat = `${at}.content[${j}]`
        if (!isObject(p) || typeof p.type !== 'string') {
          return v('missing_required_parameter', `${pat}.type`, `Missing required parameter: '${pat}.type'.`)
        }
        if (p.type === 'text' && typeof p.text !== 'string') {
          return v('missing_required_parameter', `${pat}.text`, `Missing required parameter: '${pat}.text'.`)
        }
      }
    }
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') {
    return v(
      'invalid_type',
      'stream',
      `Invalid type for 'stream': expected a boolean, but got ${jsonTypeName(body.stream)} instead.`,
    )
  }
  if (body.stream_options !== undefined && body.stream_options !== null && body.stream !== true) {
    return v(
      'invalid_value',
      'stream_options',
      "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
    )
  }
  const t = body.temperature
  if (t !== undefined && t !== null) {
    if (typeof t !== 'number')
      return v(
        'invalid_type',
        'temperature',
        `Invalid type for 'temperature': expected a decimal, but got ${jsonTypeName(t)} instead.`,
      )
    if (t > 2)
      return v(
        'decimal_above_max_value',
        'temperature',
        `Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got ${t} instead.`,
      )
    if (t < 0)
      return v(
        'decimal_below_min_value',
        'temperature',
        `Invalid 'temperature': decimal below minimum value. Expected a value >= 0, but got ${t} instead.`,
      )
  }
  for (const key of ['max_tokens', 'max_completion_tokens']) {
    const n = body[key]
    if (n === undefined || n === null) continue
    if (typeof n !== 'number' || !Number.isInteger(n)) {
      return v(
        'invalid_type',
        key,
        `Invalid type for '${key}': expected an integer, but got ${jsonTypeName(n)} instead.`,
      )
    }
    if (n < 1)
      return v(
        'integer_below_min_value',
        key,
        `Invalid '${key}': integer below minimum value. Expected a value >= 1, but got ${n} instead.`,
      )
  }
  return undefined
}

interface Turn {
  id: string
  created: number
  model: string
  fingerprint: string
  includeUsage: boolean
  promptTokens: number
  seq: number
}

function chunk(turn: Turn, choices: unknown[], usage?: unknown): string {
  const obj: Record<string, unknown> = {
    id: turn.id,
    object: 'chat.completion.chunk',
    created: turn.created,
    model: turn.model,
    service_tier: 'default',
    system_fingerprint: turn.fingerprint,
    choices,
  }
  if (turn.includeUsage) obj.usage = usage ?? null
  obj.obfuscation = obfuscation(turn.seq++)
  return `data: ${JSON.stringify(obj)}\n\n`
}

const choice = (delta: unknown, finish: string | null = null) => ({
  index: 0,
  delta,
  logprobs: null,
  finish_reason: finish,
})

function usage(turn: Turn, completion: number) {
  return {
    prompt_tokens: turn.promptTokens,
    completion_tokens: completion,
    total_tokens: turn.promptTokens + completion,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  }
}

export async function handleOpenAI(ex: Exchange, url: URL, context: HandlerContext): Promise<void> {
  const { entry } = ex
  entry.provider = 'openai'
  entry.operation = 'chat.completions'
  const key = bearerKey(ex.req.headers.authorization)
  const raw = await readBody(ex.req)
  const parsed = tryJson(raw)
  if (parsed.ok) entry.body = parsed.value
  if (ex.req.method !== 'POST' || url.pathname.replace(/\/+$/, '') !== '/v1/chat/completions') {
    return ex.error(openaiErrors.invalidUrl(ex.req.method ?? 'GET', url.pathname))
  }
  if (!key) return ex.error(openaiErrors.missingKey())
  if (/^(invalid|bad)/i.test(key)) return ex.error(openaiErrors.invalidKey(key))
  if (!parsed.ok || !isObject(parsed.value)) return ex.error(openaiErrors.invalidJson())
  const body = parsed.value
  const invalid = validateOpenAI(body)
  if (typeof body.model === 'string') entry.model = body.model
  if (invalid) return ex.error(invalid)

  const model = body.model as string
  const messages = body.messages as Record<string, unknown>[]
  const lastUser = [...messages].reverse().find((m) => m.role === 'user')
  const prompt = contentText(lastUser?.content)
  entry.prompt = prompt
  entry.stream = body.stream === true
  const header = ex.req.headers['x-emulator-scenario']
  const written: Scenario = {
    ...context.defaults,
    ...parseScenario(prompt, model, Array.isArray(header) ? header.join(' ') : header),
  }
  entry.attempt = context.attempts.next('openai', prompt)
  const asked = forAttempt(written, entry.attempt)
  const answerPieces = splitText(
    expectedAnswer(prompt, { provider: 'openai', sentences: asked.sentences }),
    asked.chunks,
  )
  const scenario = withOutputLimit(asked, answerPieces.length, body.max_completion_tokens ?? body.max_tokens)
  ex.scenario = scenario
  entry.scenario = scenario
  entry.scenarioText = formatScenario(scenario)
  ex.res.socket?.setNoDelay(true)

  const base = baseModel(model)
  if (MISSING_MODEL.test(base)) return ex.error(openaiErrors.modelNotFound(base))
  const fault = scenario.fault
  const reply = fault ? faultReply('openai', fault, { model: base, version: 'v1', key }) : undefined
  const faultErr = reply && withRetryAfter(reply, scenario.retryAfter)
  if (faultErr) {
    await ex.reply(faultErr.status, faultErr.contentType, faultErr.body, faultErr.headers)
    return
  }

  const opts = { provider: 'openai' as const, sentences: scenario.sentences }
  const answer = fault === 'refusal' ? expectedRefusal(prompt) : expectedAnswer(prompt, opts)
  const pieces = splitText(answer, scenario.chunks)
  const after = Math.min(scenario.after ?? defaultAfter(pieces.length), pieces.length)
  const streamOptions = isObject(body.stream_options) ? body.stream_options : {}
  const turn: Turn = {
    id: `chatcmpl-${randomId(29)}`,
    created: Math.floor(Date.now() / 1000),
    model: SNAPSHOTS[base] ?? base,
    fingerprint: 'fp_emu0000001',
    includeUsage: streamOptions.include_usage === true,
    promptTokens: estimateTokens(messages.map((m) => contentText(m.content)).join('\n')),
    seq: entry.id * 1000,
  }
  const requestId = `req_${randomId(32, '0123456789abcdef')}`

  if (!entry.stream) return unary(ex, turn, answer, pieces, after, requestId)

  if (!(await ex.begin(200, SSE_HEADERS(requestId)))) return
  const first =
    fault === 'refusal'
      ? { role: 'assistant', content: null, refusal: '' }
      : { role: 'assistant', content: '', refusal: null }
  if (!(await ex.write(chunk(turn, [choice(first)])))) return
  if (!(await ex.wait(scenario.hold ?? 0))) return
  if (fault === 'blocked') pieces.length = 0
  const cut = CUTTING_FAULTS.includes(fault ?? '') ? after : pieces.length
  for (const piece of pieces.slice(0, cut)) {
    const delta = fault === 'refusal' ? { refusal: piece } : { content: piece }
    if (!(await ex.paced(chunk(turn, [choice(delta)])))) return
    ex.sent(piece)
  }
  switch (fault) {
    case 'drop':
      if (await ex.gap()) ex.drop()
      return
    case 'stall':
      return ex.stall()
    case 'malformed':
      if (
        !(await ex.paced(
          `data: {"id":"${turn.id}","object":"chat.completion.chunk","created":${turn.created},"choices":[{"index":0,"delta":{"content":"tru\n\n`,
        ))
      )
        return
      return ex.end('malformed')
    case 'midstream':
      if (!(await ex.paced(`data: ${JSON.stringify(openaiErrors.midstream())}\n\n`))) return
      return ex.end('midstream', 'data: [DONE]\n\n')
  }
  const finish = fault === 'blocked' || fault === 'safety' ? 'content_filter' : fault === 'length' ? 'length' : 'stop'
  if (!(await ex.paced(chunk(turn, [choice({}, finish)])))) return
  if (turn.includeUsage && !(await ex.write(chunk(turn, [], usage(turn, ex.entry.chunksSent))))) return
  ex.end(fault ?? 'ok', 'data: [DONE]\n\n')
}

async function unary(
  ex: Exchange,
  turn: Turn,
  answer: string,
  pieces: string[],
  after: number,
  requestId: string,
): Promise<void> {
  const fault = ex.scenario.fault
  if (fault === 'stall') {
    if (!(await ex.begin(200, { 'content-type': 'application/json', 'x-request-id': requestId }))) return
    return ex.stall()
  }
  if (fault === 'drop') {
    if (await ex.wait(ex.scenario.ttft ?? 0)) ex.drop()
    return
  }
  if (fault === 'midstream') {
    const err = openaiErrors.server()
    return ex.reply(err.status, err.contentType, err.body)
  }
  const partial = pieces.slice(0, after).join('')
  const text = fault === 'blocked' ? '' : fault === 'safety' || fault === 'length' ? partial : answer
  const finish = fault === 'blocked' || fault === 'safety' ? 'content_filter' : fault === 'length' ? 'length' : 'stop'
  const completion =
    fault === 'refusal'
      ? pieces.length
      : fault === 'safety' || fault === 'length'
        ? after
        : fault === 'blocked'
          ? 0
          : pieces.length
  const message =
    fault === 'refusal'
      ? { role: 'assistant', content: null, refusal: answer, annotations: [] }
      : { role: 'assistant', content: text, refusal: null, annotations: [] }
  const obj = {
    id: turn.id,
    object: 'chat.completion',
    created: turn.created,
    model: turn.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
    usage: usage(turn, completion),
    service_tier: 'default',
    system_fingerprint: turn.fingerprint,
  }
  let body = `${JSON.stringify(obj, null, 2)}\n`
  if (fault === 'malformed') body = body.slice(0, Math.floor(body.length / 2))
  ex.entry.chunksSent = completion
  await ex.reply(200, 'application/json', body, { 'x-request-id': requestId, 'openai-version': '2020-10-01' })
  if (fault) ex.entry.outcome = fault
}
