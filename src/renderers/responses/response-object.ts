import type { Usage } from '../../canonical/parts'
import type { ResponseEcho } from './echo'
import type { Json } from './json'

/**
 * The Response object of the Responses API, as the non-streamed body and inside every lifecycle
 * event, with its fields in OpenAI's recorded order. Usage always has both details objects with
 * their fields (0 when unknown): Codex fails to parse a usage without them.
 *
 * @example
 * responseObject({ id: 'resp_1', createdAt: 1758064436, model: 'gemini-2.5-flash', echo: DEFAULT_ECHO },
 *   { status: 'completed', output: [message], usage: usageObject(result.usage), completedAt: 1758064437 })
 * // { id: 'resp_1', object: 'response', created_at: 1758064436, status: 'completed', … }
 */

export type ResponseStatus = 'queued' | 'in_progress' | 'completed' | 'incomplete' | 'failed' | 'cancelled'

/** What stays the same for the life of a response. */
export interface ResponseFrame {
  id: string
  /** Unix seconds. */
  createdAt: number
  model: string
  echo: ResponseEcho
}

export interface ResponseState {
  status: ResponseStatus
  output: readonly unknown[]
  usage?: Json | null
  error?: { code: string; message: string } | null
  incompleteDetails?: { reason: string } | null
  /** Unix seconds. */
  completedAt?: number | null
  model?: string
}

export function usageObject(usage: Usage | undefined): Json {
  const input = usage?.inputTokens ?? 0
  const output = usage?.outputTokens ?? 0
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage?.cachedInputTokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: usage?.reasoningTokens ?? 0 },
    total_tokens: usage?.totalTokens ?? input + output,
  }
}

export function responseObject(frame: ResponseFrame, state: ResponseState): Json {
  const { echo } = frame
  return {
    id: frame.id,
    object: 'response',
    created_at: frame.createdAt,
    status: state.status,
    background: echo.background,
    completed_at: state.completedAt ?? null,
    error: state.error ?? null,
    incomplete_details: state.incompleteDetails ?? null,
    instructions: echo.instructions,
    max_output_tokens: echo.max_output_tokens,
    max_tool_calls: echo.max_tool_calls,
    model: state.model ?? frame.model,
    output: state.output,
    parallel_tool_calls: echo.parallel_tool_calls,
    previous_response_id: echo.previous_response_id,
    prompt_cache_key: echo.prompt_cache_key,
    prompt_cache_retention: echo.prompt_cache_retention,
    reasoning: echo.reasoning,
    safety_identifier: echo.safety_identifier,
    service_tier: echo.service_tier,
    store: echo.store,
    temperature: echo.temperature,
    text: echo.text,
    tool_choice: echo.tool_choice,
    tools: echo.tools,
    top_logprobs: echo.top_logprobs,
    top_p: echo.top_p,
    truncation: echo.truncation,
    usage: state.usage ?? null,
    user: echo.user,
    metadata: echo.metadata,
  }
}
