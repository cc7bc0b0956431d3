/**
 * Expected Responses API bytes, written out by hand from the recorded OpenAI streams
 * (test/fixtures/openai-responses-*.sse): the Response object's fields in OpenAI's order and
 * `event: <type>\ndata: {"type","sequence_number",…}\n\n` framing. Tests compare renderer output
 * with these, byte for byte.
 *
 * @example
 * sse([['response.created', { response: responseJson({ status: 'in_progress' }) }]])
 * // 'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{…}}\n\n'
 */
import { DEFAULT_ECHO } from '../../src/renderers/responses/echo'
import type { ResponsesRenderOptions } from '../../src/renderers/responses/options'
import { RequestRecord } from '../../src/observability/request-record'
import { noMask } from '../../src/secrets/masker'

export const DIGITS = '0976c6df58902d6a0068c9ef349f8881968e62cd0dd40b45'
export const ID = `resp_${DIGITS}`

/** Fixed id and clock: created 1758064436, "now" 1758064440. */
export const OPTIONS: ResponsesRenderOptions = {
  model: 'gemini-2.5-flash',
  id: ID,
  createdAt: 1758064436,
  now: () => 1758064440_500,
  echo: DEFAULT_ECHO,
}

/** The Response object with the default echo (no request settings), fields in OpenAI's order. */
export function responseJson(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    id: ID,
    object: 'response',
    created_at: 1758064436,
    status: fields.status,
    background: false,
    completed_at: fields.completed_at ?? null,
    error: fields.error ?? null,
    incomplete_details: fields.incomplete_details ?? null,
    instructions: null,
    max_output_tokens: null,
    max_tool_calls: null,
    model: fields.model ?? 'gemini-2.5-flash',
    output: fields.output ?? [],
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
    usage: fields.usage ?? null,
    user: null,
    metadata: {},
  }
}

/** SSE bytes of events numbered from `from`. */
export function sse(events: [string, Record<string, unknown>][], from = 0): string {
  return events
    .map(
      ([type, data], index) =>
        `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: from + index, ...data })}\n\n`,
    )
    .join('')
}

/** A request record whose log line goes to `lines`. */
export function testRecord(lines: string[] = []): RequestRecord {
  return new RequestRecord({
    requestId: 'req_test',
    method: 'POST',
    mask: noMask,
    logPrompts: false,
    write: (line) => lines.push(line),
  })
}
