/**
 * OpenAI Responses API: `POST /v1/responses`, streamed (`event: <type>\ndata: <json>\n\n`, one
 * terminal event, no `[DONE]`) or not, with the real service's auth and validation errors, the
 * same answers and `[emu …]` controls as chat completions, and `call=NAME` for a declared function
 * or custom tool. `background: true` gets the recorded background shapes (`queued` first); the
 * emulator keeps nothing, so `GET /v1/responses/{id}` and cancel are not served.
 */
import { expectedAnswer, expectedRefusal, splitText } from './answer.ts'
import type { HandlerContext } from './attempts.ts'
import { faultReply, openaiErrors, withRetryAfter } from './errors.ts'
import type { Exchange } from './exchange.ts'
import { estimateTokens, isObject, randomId, readBody, tryJson } from './format.ts'
import { MISSING_MODEL, SNAPSHOTS, bearerKey, contentText } from './openai.ts'
import { streamResponse, unaryResponse, type Plan } from './responses-stream.ts'
import { validateResponses } from './responses-validate.ts'
import { ResponsesTurn } from './responses-wire.ts'
import { baseModel, forAttempt, formatScenario, parseScenario, stripTags, type Scenario } from './scenario.ts'
import { expectedFunctionCall, toolResultPrompt } from './tools.ts'

type Item = Record<string, unknown>

const OUTPUT_TYPES = new Set(['function_call_output', 'custom_tool_call_output'])

/** The prompt a request is answered to: the last user message, or `Result of NAME: …` after a call's output. */
function promptOf(input: unknown): string {
  if (typeof input === 'string') return input
  const items = Array.isArray(input) ? input.filter(isObject) : []
  const last = items.at(-1)
  if (last && OUTPUT_TYPES.has(String(last.type))) {
    const call = items.find((item) => item.call_id === last.call_id && !OUTPUT_TYPES.has(String(item.type)))
    return toolResultPrompt(typeof call?.name === 'string' ? call.name : 'tool', last.output)
  }
  const user = items.findLast((item) => (item.type ?? 'message') === 'message' && item.role === 'user')
  return contentText(user?.content)
}

/** The declared tool `call=NAME` names, unless calling is off or the last item is a call's output. */
function toolToCall(body: Item, name: string | undefined): Item | undefined {
  if (!name || body.tool_choice === 'none') return undefined
  const last = Array.isArray(body.input) ? body.input.at(-1) : undefined
  if (isObject(last) && OUTPUT_TYPES.has(String(last.type))) return undefined
  const tools = Array.isArray(body.tools) ? body.tools.filter(isObject) : []
  return tools.find((tool) => (tool.type === 'function' || tool.type === 'custom') && tool.name === name)
}

function planOf(body: Item, prompt: string, scenario: Scenario): Plan {
  const tool = toolToCall(body, scenario.call)
  if (tool) {
    const custom = tool.type === 'custom'
    const name = String(tool.name)
    const input = custom ? stripTags(prompt) : JSON.stringify(expectedFunctionCall(prompt, name).args)
    return {
      kind: 'call',
      custom,
      name,
      callId: `call_${randomId(24)}`,
      text: input,
      pieces: splitText(input, scenario.chunks),
    }
  }
  const refusal = scenario.fault === 'refusal'
  const text = refusal
    ? expectedRefusal(prompt)
    : expectedAnswer(prompt, { provider: 'openai', sentences: scenario.sentences })
  return { kind: refusal ? 'refusal' : 'text', text, pieces: splitText(text, scenario.chunks) }
}

export async function handleResponses(ex: Exchange, url: URL, context: HandlerContext): Promise<void> {
  const { entry } = ex
  entry.provider = 'openai'
  entry.operation = 'responses'
  const key = bearerKey(ex.req.headers.authorization)
  const parsed = tryJson(await readBody(ex.req))
  if (parsed.ok) entry.body = parsed.value
  if (ex.req.method !== 'POST') return ex.error(openaiErrors.invalidUrl(ex.req.method ?? 'GET', url.pathname))
  if (!key) return ex.error(openaiErrors.missingKey())
  if (/^(invalid|bad)/i.test(key)) return ex.error(openaiErrors.invalidKey(key))
  if (!parsed.ok || !isObject(parsed.value)) return ex.error(openaiErrors.invalidJson())
  const body = parsed.value
  if (typeof body.model === 'string') entry.model = body.model
  const invalid = validateResponses(body)
  if (invalid) return ex.error(invalid)

  const prompt = promptOf(body.input)
  entry.prompt = prompt
  entry.stream = body.stream === true
  const header = ex.req.headers['x-emulator-scenario']
  const model = body.model as string
  const written: Scenario = {
    ...context.defaults,
    ...parseScenario(prompt, model, Array.isArray(header) ? header.join(' ') : header),
  }
  entry.attempt = context.attempts.next('openai', prompt)
  const scenario = forAttempt(written, entry.attempt)
  ex.scenario = scenario
  entry.scenario = scenario
  entry.scenarioText = formatScenario(scenario)

  const base = baseModel(model)
  if (MISSING_MODEL.test(base)) return ex.error(openaiErrors.modelNotFound(base))
  const reply = scenario.fault ? faultReply('openai', scenario.fault, { model: base, version: 'v1', key }) : undefined
  const faultError = reply && withRetryAfter(reply, scenario.retryAfter)
  if (faultError) return ex.reply(faultError.status, faultError.contentType, faultError.body, faultError.headers)

  const promptTokens = estimateTokens(JSON.stringify(body.input ?? '') + String(body.instructions ?? ''))
  const turn = new ResponsesTurn(body, SNAPSHOTS[base] ?? base, promptTokens, entry.id * 1000)
  const plan = planOf(body, prompt, scenario)
  const requestId = `req_${randomId(32, '0123456789abcdef')}`
  return entry.stream ? streamResponse(ex, turn, plan, requestId) : unaryResponse(ex, turn, plan, requestId)
}
