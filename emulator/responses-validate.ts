/**
 * `POST /v1/responses` body checks, with the real service's error bodies: unknown parameters
 * (`unknown_parameter`), a missing model or input, input items, `stream`, and the numeric ranges
 * (`temperature` 0..2, `top_p` 0..1, `max_output_tokens` at least 16).
 *
 * @example
 * validateResponses({ model: 'gpt-4o-mini', input: 'Hi', temperature: -1 })
 * // 400 {"error":{"code":"decimal_below_min_value","message":"Invalid 'temperature': …","param":"temperature",…}}
 */
import { openaiErrors, openaiLegacy, type ErrorReply } from './errors.ts'
import { isObject, jsonTypeName } from './format.ts'

const KNOWN = new Set([
  'background',
  'context_management',
  'conversation',
  'include',
  'input',
  'instructions',
  'max_output_tokens',
  'max_tool_calls',
  'metadata',
  'model',
  'parallel_tool_calls',
  'previous_response_id',
  'prompt',
  'prompt_cache_key',
  'prompt_cache_retention',
  'reasoning',
  'safety_identifier',
  'service_tier',
  'store',
  'stream',
  'stream_options',
  'temperature',
  'text',
  'tool_choice',
  'tools',
  'top_logprobs',
  'top_p',
  'truncation',
  'user',
])
const ROLES = ['assistant', 'system', 'developer', 'user']

const unknownParameter = (key: string) =>
  openaiLegacy(
    400,
    { message: `Unknown parameter: '${key}'.`, type: 'invalid_request_error', param: key, code: 'unknown_parameter' },
    undefined,
    'application/json',
  )

function range(body: Record<string, unknown>, key: string, min: number, max: number, integer = false) {
  const v = openaiErrors.validation
  const n = body[key]
  if (n === undefined || n === null) return undefined
  const kind = integer ? 'integer' : 'decimal'
  if (typeof n !== 'number' || (integer && !Number.isInteger(n))) {
    return v(
      'invalid_type',
      key,
      `Invalid type for '${key}': expected ${integer ? 'an integer' : 'a decimal'}, but got ${jsonTypeName(n)} instead.`,
    )
  }
  if (n < min) {
    return v(
      `${kind}_below_min_value`,
      key,
      `Invalid '${key}': ${kind} below minimum value. Expected a value >= ${min}, but got ${n} instead.`,
    )
  }
  if (n > max) {
    return v(
      `${kind}_above_max_value`,
      key,
      `Invalid '${key}': ${kind} above maximum value. Expected a value <= ${max}, but got ${n} instead.`,
    )
  }
  return undefined
}

function validateItems(input: unknown[]): ErrorReply | undefined {
  const v = openaiErrors.validation
  for (const [i, item] of input.entries()) {
    const at = `input[${i}]`
    if (!isObject(item)) {
      return v(
        'invalid_type',
        at,
        `Invalid type for '${at}': expected an object, but got ${jsonTypeName(item)} instead.`,
      )
    }
    const type = item.type ?? 'message'
    if (type === 'message' && (typeof item.role !== 'string' || !ROLES.includes(item.role))) {
      return v(
        'invalid_value',
        `${at}.role`,
        `Invalid value: '${String(item.role)}'. Supported values are: 'assistant', 'system', 'developer', and 'user'.`,
      )
    }
    if (type === 'message' && typeof item.content !== 'string' && !Array.isArray(item.content)) {
      return v('missing_required_parameter', `${at}.content`, `Missing required parameter: '${at}.content'.`)
    }
    if (typeof type === 'string' && type.endsWith('_output') && typeof item.call_id !== 'string') {
      return v('missing_required_parameter', `${at}.call_id`, `Missing required parameter: '${at}.call_id'.`)
    }
  }
  return undefined
}

/** The first problem of a body, as the real endpoint reports it. */
export function validateResponses(body: Record<string, unknown>): ErrorReply | undefined {
  const v = openaiErrors.validation
  for (const key of Object.keys(body)) if (!KNOWN.has(key)) return unknownParameter(key)
  if (typeof body.model !== 'string' || body.model === '') {
    return v('missing_required_parameter', 'model', "Missing required parameter: 'model'.")
  }
  const input = body.input
  if (input === undefined && typeof body.previous_response_id !== 'string') {
    return v('missing_required_parameter', 'input', "Missing required parameter: 'input'.")
  }
  if (input !== undefined && typeof input !== 'string' && !Array.isArray(input)) {
    return v(
      'invalid_type',
      'input',
      `Invalid type for 'input': expected one of a string or array of input items, but got ${jsonTypeName(input)} instead.`,
    )
  }
  const items = Array.isArray(input) ? validateItems(input) : undefined
  if (items) return items
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') {
    return v(
      'invalid_type',
      'stream',
      `Invalid type for 'stream': expected a boolean, but got ${jsonTypeName(body.stream)} instead.`,
    )
  }
  return (
    range(body, 'temperature', 0, 2) ?? range(body, 'top_p', 0, 1) ?? range(body, 'max_output_tokens', 16, 1e9, true)
  )
}
