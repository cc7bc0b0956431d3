import type { CanonicalRequest } from '../../canonical/request'
import type { ParamIssue } from '../../renderers/chat/errors'
import { given, isObject, type Json } from '../../renderers/responses/json'
import { numberParam as number } from '../number-param'

/**
 * The Responses parameters besides input and tools: sampling, `max_output_tokens`, `text.format`,
 * `reasoning` (effort, and a summary asked for = Gemini's thoughts shown), and a clear issue for
 * every parameter Gemini cannot honour. Parameters that identify the caller or steer OpenAI's
 * caching (`user`, `prompt_cache_key`, `safety_identifier`, …) are accepted without effect.
 *
 * @example
 * readParams({ max_output_tokens: 200, reasoning: { effort: 'low', summary: 'auto' }, text: { format: { type: 'json_object' } } })
 * // { fields: { maxOutputTokens: 200, reasoningEffort: 'low', includeReasoning: true, responseFormat: { type: 'json' } }, issues: [] }
 */

type Fields = Pick<
  CanonicalRequest,
  'maxOutputTokens' | 'temperature' | 'topP' | 'responseFormat' | 'reasoningEffort' | 'includeReasoning'
>

/** Read by the parser, here or elsewhere. */
const MAPPED = new Set([
  'model',
  'input',
  'instructions',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'text',
  'reasoning',
  'max_output_tokens',
  'temperature',
  'top_p',
  'stream',
  'stream_options',
  'background',
  'store',
  'include',
  'previous_response_id',
  'metadata',
])
/** Accepted without effect: they identify the caller or steer OpenAI's caching and context, never the answer. */
const NO_EFFECT = new Set([
  'user',
  'safety_identifier',
  'prompt_cache_key',
  'prompt_cache_retention',
  'prompt_cache_options',
  'truncation',
])
/** Parameters Gemini cannot honour, unless they hold the value that changes nothing. */
const UNSUPPORTED: Record<string, { ok: (value: unknown) => boolean; why: string }> = {
  service_tier: { ok: (value) => value === 'auto' || value === 'default', why: 'Gemini has no service tiers' },
  top_logprobs: { ok: (value) => value === 0, why: 'Gemini log probabilities are not translated' },
  max_tool_calls: { ok: () => false, why: 'the gateway cannot cap built-in tool calls' },
  conversation: { ok: () => false, why: "OpenAI's conversations are not available: use previous_response_id" },
  prompt: { ok: () => false, why: "OpenAI's stored prompts are not available" },
  context_management: { ok: () => false, why: 'Gemini has no context management' },
  moderation: { ok: () => false, why: 'Gemini has no moderation setting' },
}

const EFFORTS = new Set(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'])
const SUMMARIES = new Set(['auto', 'concise', 'detailed'])

function textFormat(text: unknown, fields: Fields, issues: ParamIssue[]): void {
  if (!given(text)) return
  if (!isObject(text)) {
    issues.push({ param: 'text', message: 'must be an object {"format", "verbosity"}' })
    return
  }
  if (given(text.verbosity) && text.verbosity !== 'medium') {
    issues.push({ param: 'text.verbosity', message: 'unsupported for Gemini (it has no verbosity setting)' })
  }
  const format = text.format
  if (!given(format) || (isObject(format) && format.type === 'text')) return
  if (isObject(format) && format.type === 'json_object') {
    fields.responseFormat = { type: 'json' }
    return
  }
  if (isObject(format) && format.type === 'json_schema' && isObject(format.schema)) {
    fields.responseFormat = {
      type: 'json',
      schema: format.schema,
      ...(typeof format.name === 'string' ? { name: format.name } : {}),
    }
    return
  }
  issues.push({
    param: 'text.format',
    message: 'must be {"type":"text"}, {"type":"json_object"} or {"type":"json_schema","name","schema"}',
  })
}

function reasoning(value: unknown, fields: Fields, issues: ParamIssue[]): void {
  if (!given(value)) return
  if (!isObject(value)) {
    issues.push({ param: 'reasoning', message: 'must be an object {"effort", "summary"}' })
    return
  }
  if (given(value.effort)) {
    if (typeof value.effort === 'string' && EFFORTS.has(value.effort)) fields.reasoningEffort = value.effort
    else issues.push({ param: 'reasoning.effort', message: `must be one of ${[...EFFORTS].join(', ')}` })
  }
  for (const key of ['summary', 'generate_summary']) {
    const summary = value[key]
    if (!given(summary)) continue
    if (typeof summary === 'string' && SUMMARIES.has(summary)) fields.includeReasoning = true
    else issues.push({ param: `reasoning.${key}`, message: `must be one of ${[...SUMMARIES].join(', ')}` })
  }
}

function include(value: unknown, issues: ParamIssue[]): void {
  if (!given(value)) return
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    issues.push({ param: 'include', message: 'must be an array of strings' })
  } else if (value.includes('message.output_text.logprobs')) {
    issues.push({ param: 'include', message: 'unsupported for Gemini: message.output_text.logprobs' })
  }
}

function metadata(value: unknown, issues: ParamIssue[]): void {
  if (!given(value)) return
  const entries = isObject(value) ? Object.entries(value) : undefined
  const valid =
    entries !== undefined &&
    entries.length <= 16 &&
    entries.every(([key, item]) => key.length <= 64 && typeof item === 'string' && item.length <= 512)
  if (!valid) {
    issues.push({
      param: 'metadata',
      message: 'must be an object of at most 16 string values (keys up to 64, values up to 512 characters)',
    })
  }
}

export function readParams(body: Json): { fields: Fields; issues: ParamIssue[] } {
  const issues: ParamIssue[] = []
  for (const [key, value] of Object.entries(body)) {
    if (!given(value) || MAPPED.has(key) || NO_EFFECT.has(key)) continue
    const rule = UNSUPPORTED[key]
    if (!rule) issues.push({ param: key, message: 'unsupported: unrecognized request argument' })
    else if (!rule.ok(value)) issues.push({ param: key, message: `unsupported for Gemini (${rule.why})` })
  }
  const fields: Fields = {}
  const maxOutputTokens = number(body, 'max_output_tokens', issues, 1, 1e9, true)
  const temperature = number(body, 'temperature', issues, 0, 2)
  const topP = number(body, 'top_p', issues, 0, 1)
  if (maxOutputTokens !== undefined) fields.maxOutputTokens = maxOutputTokens
  if (temperature !== undefined) fields.temperature = temperature
  if (topP !== undefined) fields.topP = topP
  if (given(body.parallel_tool_calls) && typeof body.parallel_tool_calls !== 'boolean') {
    issues.push({ param: 'parallel_tool_calls', message: 'must be a boolean' })
  }
  textFormat(body.text, fields, issues)
  reasoning(body.reasoning, fields, issues)
  include(body.include, issues)
  metadata(body.metadata, issues)
  return { fields, issues }
}
