/**
 * Gemini API: `POST /{v1,v1beta}/models/{model}:streamGenerateContent?alt=sse` (SSE with CRLF,
 * Google JSON style, no [DONE]), without alt=sse (a streamed JSON array) and `:generateContent`,
 * with the real service's auth and validation errors (as recorded in test/fixtures/).
 */
import { defaultAfter, expectedAnswer, splitText, thoughtTexts } from './answer.ts'
import { faultReply, geminiErrors, googleHtml404, withRetryAfter, type ErrorReply } from './errors.ts'
import type { Exchange } from './exchange.ts'
import { estimateTokens, googleJson, googlePretty, isObject, randomId, readBody, tryJson } from './format.ts'
import { MISSING_MODEL } from './openai.ts'
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
import { emulatorSignature, expectedFunctionCall, functionToCall, missingSignature, partPrompt } from './tools.ts'

export const GEMINI_PATH = /^\/(v1|v1beta|v1alpha)\/models\/([^/]+):([A-Za-z]+)$/

const both = (...names: string[]) => names.flatMap((n) => [n, n.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)])
const TOP_FIELDS = new Set(
  both(
    'model',
    'contents',
    'systemInstruction',
    'tools',
    'toolConfig',
    'safetySettings',
    'generationConfig',
    'cachedContent',
  ),
)
const CONTENT_FIELDS = new Set(['role', 'parts'])
const DATA_FIELDS = both(
  'text',
  'inlineData',
  'fileData',
  'functionCall',
  'functionResponse',
  'executableCode',
  'codeExecutionResult',
)
const PART_FIELDS = new Set([
  ...DATA_FIELDS,
  ...both('thought', 'thoughtSignature', 'videoMetadata', 'partMetadata', 'mediaResolution'),
])
const GENERATION_FIELDS = new Set(
  both(
    'stopSequences',
    'responseMimeType',
    'responseSchema',
    'responseJsonSchema',
    'responseModalities',
    'candidateCount',
    'maxOutputTokens',
    'temperature',
    'topP',
    'topK',
    'seed',
    'presencePenalty',
    'frequencyPenalty',
    'responseLogprobs',
    'logprobs',
    'enableEnhancedCivicAnswers',
    'speechConfig',
    'thinkingConfig',
    'imageConfig',
    'mediaResolution',
  ),
)
const SAFETY_RATINGS = [
  { category: 'HARM_CATEGORY_SEXUALLY_EXPLICIT', probability: 'NEGLIGIBLE' },
  { category: 'HARM_CATEGORY_HATE_SPEECH', probability: 'HIGH' },
  { category: 'HARM_CATEGORY_HARASSMENT', probability: 'NEGLIGIBLE' },
  { category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'NEGLIGIBLE' },
]

const unknownName = (name: string, at?: string) =>
  geminiErrors.badField(
    `Invalid JSON payload received. Unknown name ${JSON.stringify(name)}${at ? ` at '${at}'` : ''}: Cannot find field.`,
  )

function validateParts(parts: unknown, at: string, proto: string): ErrorReply | undefined {
  if (!Array.isArray(parts) || parts.length === 0)
    return geminiErrors.badRequest(`* GenerateContentRequest.${proto}.parts: contents.parts must not be empty.\n`)
  for (const [j, p] of parts.entries()) {
    if (!isObject(p))
      return geminiErrors.badField(
        `Invalid value at '${at}.parts[${j}]' (type.googleapis.com/google.ai.generativelanguage.Part), ${JSON.stringify(p)}`,
        `${at}.parts[${j}]`,
      )
    for (const k of Object.keys(p)) if (!PART_FIELDS.has(k)) return unknownName(k, `${at}.parts[${j}]`)
    if (!DATA_FIELDS.some((k) => p[k] !== undefined)) {
      return geminiErrors.badRequest(
        `* GenerateContentRequest.${proto}.parts[${j}].data: required oneof field 'data' must have one initialized field\n`,
      )
    }
    if (p.text !== undefined && typeof p.text !== 'string') {
      return geminiErrors.badField(
        `Invalid value at '${at}.parts[${j}].text' (TYPE_STRING), ${JSON.stringify(p.text)}`,
        `${at}.parts[${j}].text`,
      )
    }
  }
  return undefined
}

/** Validates a GenerateContentRequest body the way the real endpoint does; returns the first error. */
export function validateGemini(body: Record<string, unknown>, version: string): ErrorReply | undefined {
  for (const k of Object.keys(body)) if (!TOP_FIELDS.has(k)) return unknownName(k)
  const contents = body.contents
  if (contents === undefined || (Array.isArray(contents) && contents.length === 0)) {
    return geminiErrors.badRequest('* GenerateContentRequest.contents: contents is not specified\n')
  }
  if (!Array.isArray(contents)) {
    return geminiErrors.badField(
      `Invalid value at 'contents' (type.googleapis.com/google.ai.generativelanguage.${version}.Content), ${JSON.stringify(contents)}`,
      'contents',
    )
  }
  for (const [i, c] of contents.entries()) {
    if (!isObject(c)) {
      return geminiErrors.badField(
        `Invalid value at 'contents[${i}]' (type.googleapis.com/google.ai.generativelanguage.${version}.Content), ${JSON.stringify(c)}`,
        `contents[${i}]`,
      )
    }
    for (const k of Object.keys(c)) if (!CONTENT_FIELDS.has(k)) return unknownName(k, `contents[${i}]`)
    if (c.role !== undefined && c.role !== 'user' && c.role !== 'model')
      return geminiErrors.badRequest('Please use a valid role: user, model.')
    const bad = validateParts(c.parts, `contents[${i}]`, `contents[${i}]`)
    if (bad) return bad
  }
  const sys = body.systemInstruction ?? body.system_instruction
  if (sys !== undefined) {
    if (!isObject(sys)) {
      return geminiErrors.badField(
        `Invalid value at 'system_instruction' (type.googleapis.com/google.ai.generativelanguage.${version}.Content), ${JSON.stringify(sys)}`,
        'system_instruction',
      )
    }
    for (const k of Object.keys(sys)) if (!CONTENT_FIELDS.has(k)) return unknownName(k, 'system_instruction')
    const bad = validateParts(sys.parts, 'system_instruction', 'system_instruction')
    if (bad) return bad
  }
  const gen = body.generationConfig ?? body.generation_config
  if (gen !== undefined) {
    if (!isObject(gen))
      return geminiErrors.badField(`Invalid value at 'generation_config', ${JSON.stringify(gen)}`, 'generation_config')
    for (const k of Object.keys(gen)) if (!GENERATION_FIELDS.has(k)) return unknownName(k, 'generation_config')
    const t = gen.temperature
    if (t !== undefined && (typeof t !== 'number' || t < 0 || t > 2)) {
      return geminiErrors.badRequest(
        '* GenerateContentRequest.generation_config.temperature: must be in the range [0.0, 2.0]\n',
      )
    }
  }
  return undefined
}

/** The text of the last user content (a content without role counts as user); a function result counts as text. */
function promptOf(contents: Record<string, unknown>[]): string {
  const last = [...contents].reverse().find((c) => c.role === undefined || c.role === 'user' || contents.length === 1)
  const parts = Array.isArray(last?.parts) ? last.parts : []
  return parts.map(partPrompt).join('')
}

interface Turn {
  modelVersion: string
  responseId: string
  promptTokens: number
  thoughtTokens: number
  candidateTokens: number
}

function usage(turn: Turn, withCandidates: boolean) {
  return {
    promptTokenCount: turn.promptTokens,
    candidatesTokenCount: withCandidates ? turn.candidateTokens : undefined,
    totalTokenCount: turn.promptTokens + turn.candidateTokens + turn.thoughtTokens,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: turn.promptTokens }],
    thoughtsTokenCount: turn.thoughtTokens || undefined,
  }
}

function response(turn: Turn, candidate: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}) {
  return {
    candidates: candidate ? [candidate] : undefined,
    ...extra,
    usageMetadata: usage(turn, turn.candidateTokens > 0),
    modelVersion: turn.modelVersion,
    responseId: turn.responseId,
  }
}

const textCandidate = (parts: unknown[], finishReason?: string) => ({
  content: { parts, role: 'model' },
  finishReason,
  index: 0,
})

/** How the stream is framed: SSE (`data: ...\r\n\r\n`) or a streamed JSON array (no alt=sse). */
interface Framing {
  first: boolean
  sse: boolean
}
function frame(f: Framing, obj: unknown): string {
  if (f.sse) return `data: ${googleJson(obj)}\r\n\r\n`
  const text = `${f.first ? '[' : ',\r\n'}${JSON.stringify(obj, null, 2)}\n`
  f.first = false
  return text
}

export async function handleGemini(ex: Exchange, url: URL, context: HandlerContext): Promise<void> {
  const { entry } = ex
  entry.provider = 'gemini'
  const raw = await readBody(ex.req)
  const parsed = tryJson(raw)
  if (parsed.ok) entry.body = parsed.value
  const m = GEMINI_PATH.exec(url.pathname)
  if (!m || ex.req.method !== 'POST' || !['streamGenerateContent', 'generateContent'].includes(m[3]!)) {
    return ex.error(googleHtml404(url.pathname))
  }
  const version = m[1]!
  const model = decodeURIComponent(m[2]!)
  const operation = m[3]!
  const sse = operation === 'streamGenerateContent' && url.searchParams.get('alt') === 'sse'
  const arrayStream = operation === 'streamGenerateContent' && !sse
  entry.apiVersion = version
  entry.model = model
  entry.operation = operation
  entry.stream = operation === 'streamGenerateContent'
  // The real trap: errors to an alt=sse request still say text/event-stream.
  const fail = (reply: ErrorReply): void => {
    if (sse) return ex.error(reply, 'text/event-stream')
    if (arrayStream) {
      const body = `${JSON.stringify([JSON.parse(reply.body)], null, 2)}\n`
      return ex.error({ ...reply, body }, 'application/json; charset=UTF-8')
    }
    return ex.error(reply)
  }

  const headerKey = ex.req.headers['x-goog-api-key']
  const key = (Array.isArray(headerKey) ? headerKey[0] : headerKey)?.trim() || url.searchParams.get('key')?.trim() || ''
  if (!key) return fail(geminiErrors.missingKey())
  if (/^(invalid|bad)/i.test(key)) return fail(geminiErrors.invalidKey())
  if (!parsed.ok) {
    return fail(geminiErrors.badField('Invalid JSON payload received. Unexpected token.'))
  }
  if (!isObject(parsed.value)) {
    return fail(
      geminiErrors.badField(`Invalid JSON payload received. Expected an object, got ${JSON.stringify(parsed.value)}.`),
    )
  }
  const body = parsed.value
  const invalid = validateGemini(body, version)
  if (invalid) return fail(invalid)

  const contents = body.contents as Record<string, unknown>[]
  const prompt = promptOf(contents)
  entry.prompt = prompt
  const header = ex.req.headers['x-emulator-scenario']
  const written: Scenario = {
    ...context.defaults,
    ...parseScenario(prompt, model, Array.isArray(header) ? header.join(' ') : header),
  }
  entry.attempt = context.attempts.next('gemini', prompt)
  const asked = forAttempt(written, entry.attempt)
  const generation = (body.generationConfig ?? body.generation_config) as Record<string, unknown> | undefined
  const answerPieces = splitText(
    expectedAnswer(prompt, { provider: 'gemini', sentences: asked.sentences }),
    asked.chunks,
    3,
  )
  const limit = generation?.maxOutputTokens ?? generation?.max_output_tokens
  // A function call is one piece: the limit cuts only a text answer.
  const scenario = asked.call ? asked : withOutputLimit(asked, answerPieces.length, limit)
  ex.scenario = scenario
  entry.scenario = scenario
  entry.scenarioText = formatScenario(scenario)
  ex.res.socket?.setNoDelay(true)

  const base = baseModel(model)
  if (MISSING_MODEL.test(base)) return fail(geminiErrors.modelNotFound(base, version))
  const unsigned = missingSignature(contents, base)
  if (unsigned) return fail(unsigned)
  const fault = scenario.fault === 'refusal' ? 'blocked' : scenario.fault
  const reply = fault ? faultReply('gemini', fault, { model: base, version, key }) : undefined
  const faultErr = reply && withRetryAfter(reply, scenario.retryAfter)
  if (faultErr) {
    if (!(await ex.wait(scenario.ttft ?? 0))) return
    return fail(faultErr)
  }

  const answer = expectedAnswer(prompt, { provider: 'gemini', sentences: scenario.sentences })
  const pieces = splitText(answer, scenario.chunks, 3)
  const after = Math.min(scenario.after ?? defaultAfter(pieces.length), pieces.length)
  const thoughts = thoughtTexts(scenario.thoughts ?? 0)
  const allText = contents.map((c) => promptOf([c])).join('\n')
  const turn: Turn = {
    modelVersion: base,
    responseId: randomId(23, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
    promptTokens: estimateTokens(allText),
    thoughtTokens: 0,
    candidateTokens: 0,
  }

  const call = functionToCall(body, scenario.call, contents)
  const callPart = call
    ? { functionCall: expectedFunctionCall(prompt, call), thoughtSignature: emulatorSignature(call) }
    : undefined

  if (operation === 'generateContent') return unary(ex, turn, pieces, after, thoughts, callPart)

  const headers: Record<string, string> = sse
    ? {
        'content-type': 'text/event-stream',
        'content-disposition': 'attachment',
        vary: 'Origin, X-Origin, Referer',
        'x-xss-protection': '0',
        'x-frame-options': 'SAMEORIGIN',
        'x-content-type-options': 'nosniff',
        server: 'scaffolding on HTTPServer2',
        'server-timing': 'gfet4t7; dur=512',
      }
    : {
        'content-type': 'application/json; charset=UTF-8',
        vary: 'Origin, X-Origin, Referer',
        server: 'scaffolding on HTTPServer2',
      }
  const f: Framing = { first: true, sse }
  const close = sse ? '' : ']'
  if (!(await ex.begin(200, headers))) return
  if (!(await ex.wait(scenario.hold ?? 0))) return

  if (fault === 'blocked') {
    if (
      !(await ex.write(
        frame(f, {
          promptFeedback: { blockReason: 'SAFETY', safetyRatings: SAFETY_RATINGS },
          usageMetadata: usage(turn, false),
          modelVersion: turn.modelVersion,
          responseId: turn.responseId,
        }),
      ))
    )
      return
    return ex.end('blocked', close)
  }
  let firstWrite = true
  const send = async (text: string) => {
    const ok = firstWrite ? await ex.write(text) : await ex.paced(text)
    firstWrite = false
    return ok
  }
  for (const t of thoughts) {
    turn.thoughtTokens += estimateTokens(t)
    if (!(await send(frame(f, response(turn, textCandidate([{ text: t, thought: true }])))))) return
  }
  if (callPart) {
    // A function call comes whole, in one chunk that also finishes the turn (WIRE.md §2.5).
    turn.candidateTokens = estimateTokens(JSON.stringify(callPart.functionCall))
    if (!(await send(frame(f, response(turn, textCandidate([callPart], 'STOP')))))) return
    ex.sent()
    return ex.end('function_call', close)
  }
  const cut = CUTTING_FAULTS.includes(fault ?? '') ? after : pieces.length
  for (const [i, piece] of pieces.slice(0, cut).entries()) {
    turn.candidateTokens += 1
    const last = i === pieces.length - 1
    const finish = last ? 'STOP' : undefined
    if (!(await send(frame(f, response(turn, textCandidate([{ text: piece }], finish)))))) return
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
        !(await send(
          sse
            ? 'data: {"candidates": [{"content": {"parts": [{"text": "tru\r\n\r\n'
            : ',\r\n{\n  "candidates": [\n    {\n      "content": {\n        "parts": [\n          {\n            "text": "tru\n',
        ))
      )
        return
      return ex.end('malformed')
    case 'midstream':
      // A bare pretty-printed error object, no `data:` prefix, in its own network read, as Gemini sends it.
      if (!(await ex.gap())) return
      if (!(await ex.write(`${sse ? '' : ',\r\n'}${geminiErrors.unavailable().body}`))) return
      return ex.end('midstream', close)
    case 'safety':
      if (!(await send(frame(f, response(turn, { finishReason: 'SAFETY', index: 0, safetyRatings: SAFETY_RATINGS })))))
        return
      return ex.end('safety', close)
    case 'length':
      if (!(await send(frame(f, response(turn, textCandidate([{ text: '' }], 'MAX_TOKENS')))))) return
      return ex.end('length', close)
  }
  ex.end(fault ?? 'ok', close)
}

async function unary(
  ex: Exchange,
  turn: Turn,
  pieces: string[],
  after: number,
  thoughts: string[],
  callPart?: Record<string, unknown>,
): Promise<void> {
  const fault = ex.scenario.fault === 'refusal' ? 'blocked' : ex.scenario.fault
  if (fault === 'stall') {
    if (!(await ex.begin(200, { 'content-type': 'application/json; charset=UTF-8' }))) return
    return ex.stall()
  }
  if (fault === 'drop') {
    if (await ex.wait(ex.scenario.ttft ?? 0)) ex.drop()
    return
  }
  if (fault === 'midstream') {
    const err = geminiErrors.unavailable()
    return ex.reply(err.status, err.contentType, err.body)
  }
  for (const t of thoughts) turn.thoughtTokens += estimateTokens(t)
  let obj: unknown
  if (callPart) {
    turn.candidateTokens = estimateTokens(JSON.stringify(callPart.functionCall))
    obj = response(turn, textCandidate([...thoughts.map((t) => ({ text: t, thought: true })), callPart], 'STOP'))
  } else if (fault === 'blocked') {
    obj = {
      promptFeedback: { blockReason: 'SAFETY', safetyRatings: SAFETY_RATINGS },
      usageMetadata: usage(turn, false),
      modelVersion: turn.modelVersion,
      responseId: turn.responseId,
    }
  } else {
    const partial = fault === 'safety' || fault === 'length'
    const text = (partial ? pieces.slice(0, after) : pieces).join('')
    turn.candidateTokens = partial ? after : pieces.length
    const parts = [...thoughts.map((t) => ({ text: t, thought: true })), { text }]
    const candidate =
      fault === 'safety'
        ? {
            content: { parts: [{ text }], role: 'model' },
            finishReason: 'SAFETY',
            index: 0,
            safetyRatings: SAFETY_RATINGS,
          }
        : textCandidate(parts, fault === 'length' ? 'MAX_TOKENS' : 'STOP')
    obj = response(turn, candidate)
  }
  let body = googlePretty(obj)
  if (fault === 'malformed') body = body.slice(0, Math.floor(body.length / 2))
  ex.entry.chunksSent = turn.candidateTokens
  await ex.reply(200, 'application/json; charset=UTF-8', body, {
    vary: 'Origin, X-Origin, Referer',
    server: 'scaffolding on HTTPServer2',
  })
  if (fault) ex.entry.outcome = fault
}
