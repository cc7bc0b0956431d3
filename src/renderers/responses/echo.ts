import { given, isObject, type Json } from './json'

/**
 * The request settings a Response object repeats (`instructions`, `tools`, `text`, `reasoning`,
 * `store`, …), in OpenAI's spelling, with OpenAI's defaults for what the request left out.
 * Sampling values the request did not set are `null`: the provider's defaults apply, not OpenAI's.
 *
 * @example
 * echoOf({ instructions: 'Be brief.', store: false }, [])
 * // { background: false, instructions: 'Be brief.', …, store: false, tool_choice: 'auto', tools: [], … }
 */
export interface ResponseEcho {
  background: boolean
  instructions: string | null
  max_output_tokens: number | null
  max_tool_calls: number | null
  parallel_tool_calls: boolean
  previous_response_id: string | null
  prompt_cache_key: string | null
  prompt_cache_retention: string | null
  reasoning: { effort: string | null; summary: string | null }
  safety_identifier: string | null
  service_tier: string
  store: boolean
  temperature: number | null
  text: { format: unknown; verbosity: string }
  tool_choice: unknown
  tools: Json[]
  top_logprobs: number
  top_p: number | null
  truncation: string
  user: string | null
  metadata: Json
}

export const DEFAULT_ECHO: ResponseEcho = {
  background: false,
  instructions: null,
  max_output_tokens: null,
  max_tool_calls: null,
  parallel_tool_calls: true,
  previous_response_id: null,
  prompt_cache_key: null,
  prompt_cache_retention: null,
  reasoning: { effort: null, summary: null },
  safety_identifier: null,
  service_tier: 'default',
  store: true,
  temperature: null,
  text: { format: { type: 'text' }, verbosity: 'medium' },
  tool_choice: 'auto',
  tools: [],
  top_logprobs: 0,
  top_p: null,
  truncation: 'disabled',
  user: null,
  metadata: {},
}

const stringOr = (value: unknown, fallback: string | null) => (typeof value === 'string' ? value : fallback)
const numberOr = (value: unknown, fallback: number | null) => (typeof value === 'number' ? value : fallback)
const booleanOr = (value: unknown, fallback: boolean) => (typeof value === 'boolean' ? value : fallback)

/** The echo of a request body; `tools` are the tools actually served. */
export function echoOf(body: Json, tools: Json[]): ResponseEcho {
  const reasoning = isObject(body.reasoning) ? body.reasoning : {}
  const text = isObject(body.text) ? body.text : {}
  const d = DEFAULT_ECHO
  return {
    background: booleanOr(body.background, d.background),
    instructions: stringOr(body.instructions, d.instructions),
    max_output_tokens: numberOr(body.max_output_tokens, d.max_output_tokens),
    max_tool_calls: numberOr(body.max_tool_calls, d.max_tool_calls),
    parallel_tool_calls: booleanOr(body.parallel_tool_calls, d.parallel_tool_calls),
    previous_response_id: stringOr(body.previous_response_id, d.previous_response_id),
    prompt_cache_key: stringOr(body.prompt_cache_key, d.prompt_cache_key),
    prompt_cache_retention: stringOr(body.prompt_cache_retention, d.prompt_cache_retention),
    reasoning: {
      effort: stringOr(reasoning.effort, null),
      summary: stringOr(reasoning.summary, stringOr(reasoning.generate_summary, null)),
    },
    safety_identifier: stringOr(body.safety_identifier, d.safety_identifier),
    service_tier: stringOr(body.service_tier, d.service_tier) ?? d.service_tier,
    store: booleanOr(body.store, d.store),
    temperature: numberOr(body.temperature, d.temperature),
    text: {
      format: given(text.format) ? text.format : d.text.format,
      verbosity: stringOr(text.verbosity, 'medium') ?? 'medium',
    },
    tool_choice: given(body.tool_choice) ? body.tool_choice : d.tool_choice,
    tools,
    top_logprobs: numberOr(body.top_logprobs, d.top_logprobs) ?? 0,
    top_p: numberOr(body.top_p, d.top_p),
    truncation: stringOr(body.truncation, d.truncation) ?? d.truncation,
    user: stringOr(body.user, d.user),
    metadata: isObject(body.metadata) ? body.metadata : d.metadata,
  }
}
