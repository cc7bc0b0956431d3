import type { CanonicalRequest } from '../../canonical/request'
import { REASONING_EFFORTS } from '../../providers/gemini/request'
import type { ParamIssue } from '../../renderers/chat/errors'
import { numberParam as number } from '../number-param'

/**
 * The request parameters besides messages and tools, as canonical ones, and every parameter a
 * translated (Gemini) request cannot honour (`n` > 1, `logprobs`, audio output, …) as an issue.
 * Parameters that never change the answer (`user`, `metadata`, `safety_identifier`,
 * `prompt_cache_key`, …) are accepted and have no effect.
 *
 * @example
 * parseParams({ temperature: 0.2, max_tokens: 100, stop: 'END', response_format: { type: 'json_object' } })
 * // { params: { temperature: 0.2, maxOutputTokens: 100, stop: ['END'], responseFormat: { type: 'json' } }, issues: [] }
 */

type Params = Omit<CanonicalRequest, 'messages' | 'tools' | 'toolChoice' | 'passthrough'>

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

/** Handled elsewhere (messages, tools) or here. */
const MAPPED = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'tools',
  'tool_choice',
  'temperature',
  'top_p',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'response_format',
  'reasoning_effort',
])
/** Accepted without effect: they identify the caller or steer OpenAI's caching, never the answer. */
const NO_EFFECT = new Set([
  'user',
  'safety_identifier',
  'metadata',
  'prompt_cache_key',
  'prompt_cache_retention',
  'prompt_cache_options',
])

/** Parameters Gemini cannot honour, unless they hold the value that changes nothing. */
const UNSUPPORTED: Record<string, { ok: (value: unknown) => boolean; why: string }> = {
  n: { ok: (value) => value === 1, why: 'Gemini returns one choice: n must be 1' },
  logprobs: { ok: (value) => value === false, why: 'Gemini log probabilities are not translated' },
  top_logprobs: { ok: (value) => value === 0, why: 'Gemini log probabilities are not translated' },
  logit_bias: { ok: (value) => isObject(value) && Object.keys(value).length === 0, why: 'Gemini has no logit bias' },
  parallel_tool_calls: { ok: (value) => value === true, why: 'Gemini may always call several functions at once' },
  modalities: {
    ok: (value) => Array.isArray(value) && value.every((item) => item === 'text'),
    why: 'only text output',
  },
  audio: { ok: () => false, why: 'only text output' },
  prediction: { ok: () => false, why: 'Gemini has no predicted outputs' },
  web_search_options: { ok: () => false, why: 'Gemini web search is not translated' },
  verbosity: { ok: () => false, why: 'Gemini has no verbosity setting' },
  functions: { ok: () => false, why: 'deprecated: use tools' },
  function_call: { ok: () => false, why: 'deprecated: use tool_choice' },
  moderation: { ok: () => false, why: 'Gemini has no moderation setting' },
  store: { ok: (value) => value === false, why: 'Gemini does not store completions' },
  service_tier: { ok: (value) => value === 'auto' || value === 'default', why: 'Gemini has no service tiers' },
}

function stopSequences(stop: unknown, issues: ParamIssue[]): string[] | undefined {
  if (stop === undefined || stop === null) return undefined
  if (typeof stop === 'string') return [stop]
  if (Array.isArray(stop) && stop.every((item) => typeof item === 'string')) return stop as string[]
  issues.push({ param: 'stop', message: 'must be a string or an array of strings' })
  return undefined
}

function responseFormat(format: unknown, params: Params, issues: ParamIssue[]): void {
  if (format === undefined || format === null) return
  if (isObject(format) && format.type === 'text') return
  if (isObject(format) && format.type === 'json_object') {
    params.responseFormat = { type: 'json' }
    return
  }
  if (isObject(format) && format.type === 'json_schema' && isObject(format.json_schema)) {
    const { schema, name } = format.json_schema
    params.responseFormat = {
      type: 'json',
      ...(isObject(schema) ? { schema } : {}),
      ...(typeof name === 'string' ? { name } : {}),
    }
    return
  }
  issues.push({
    param: 'response_format',
    message: 'must be {"type":"text"}, {"type":"json_object"} or {"type":"json_schema","json_schema":{…}}',
  })
}

export function parseParams(body: Json): { params: Params; issues: ParamIssue[] } {
  const issues: ParamIssue[] = []
  for (const [key, value] of Object.entries(body)) {
    if (value === null || value === undefined || MAPPED.has(key) || NO_EFFECT.has(key)) continue
    const rule = UNSUPPORTED[key]
    if (!rule) issues.push({ param: key, message: 'unsupported: unrecognized request argument' })
    else if (!rule.ok(value)) issues.push({ param: key, message: `unsupported for Gemini (${rule.why})` })
  }
  const params: Params = {}
  const temperature = number(body, 'temperature', issues, 0, 2)
  const topP = number(body, 'top_p', issues, 0, 1)
  const maxTokens =
    number(body, 'max_completion_tokens', issues, 1, 1e9, true) ?? number(body, 'max_tokens', issues, 1, 1e9, true)
  const seed = number(body, 'seed', issues, -(2 ** 31), 2 ** 31 - 1, true)
  const presence = number(body, 'presence_penalty', issues, -2, 2)
  const frequency = number(body, 'frequency_penalty', issues, -2, 2)
  const stop = stopSequences(body.stop, issues)
  if (temperature !== undefined) params.temperature = temperature
  if (topP !== undefined) params.topP = topP
  if (maxTokens !== undefined) params.maxOutputTokens = maxTokens
  if (stop !== undefined) params.stop = stop
  if (seed !== undefined) params.seed = seed
  if (presence !== undefined) params.presencePenalty = presence
  if (frequency !== undefined) params.frequencyPenalty = frequency
  responseFormat(body.response_format, params, issues)
  const effort = body.reasoning_effort
  if (effort !== undefined && effort !== null) {
    if (typeof effort !== 'string' || !REASONING_EFFORTS.includes(effort))
      issues.push({ param: 'reasoning_effort', message: `must be one of ${REASONING_EFFORTS.join(', ')}` })
    else params.reasoningEffort = effort
  }
  return { params, issues }
}
