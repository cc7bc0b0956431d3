/**
 * The Responses API wire format the emulator writes (`POST /v1/responses`), as recorded in
 * test/fixtures/openai-responses-*.sse and .json: `event: <type>\ndata: <compact json>\n\n` with
 * `sequence_number` from 0, the Response object's fields in OpenAI's order (the 2026 recordings,
 * with `completed_at` and `prompt_cache_retention`), items whose ids share
 * the response's hex digits, `obfuscation` on delta events, and usage with both details objects.
 *
 * @example
 * const turn = new ResponsesTurn(body, 'gpt-4o-mini-2024-07-18', 11, 7000)
 * turn.event('response.created', { response: turn.response({ status: 'in_progress' }) })
 * // 'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{…}}\n\n'
 */
import { isObject, obfuscation, randomId } from './format.ts'

const HEX = '0123456789abcdef'

export interface ResponseFields {
  status: 'queued' | 'in_progress' | 'completed' | 'incomplete' | 'failed'
  output?: unknown[]
  usage?: unknown
  error?: { code: string; message: string } | null
  incompleteReason?: string
}

export class ResponsesTurn {
  readonly id: string
  private readonly digits: string
  private readonly body: Record<string, unknown>
  private readonly model: string
  private readonly promptTokens: number
  private readonly created = Math.floor(Date.now() / 1000)
  private sequence = 0
  private seed: number
  private items = 0

  constructor(body: Record<string, unknown>, model: string, promptTokens: number, seed: number) {
    this.digits = randomId(48, HEX)
    this.id = `resp_${this.digits}${randomId(2, HEX)}`
    this.body = body
    this.model = model
    this.promptTokens = promptTokens
    this.seed = seed
  }

  /** A new item id (`msg_…`, `fc_…`, `ctc_…`) sharing the response's digits. */
  itemId(prefix: string): string {
    return `${prefix}_${this.digits}${(this.items++).toString(16).padStart(2, '0')}`
  }

  /** One event; `delta` events get an `obfuscation` field, as OpenAI's do. */
  event(type: string, fields: Record<string, unknown>): string {
    const data: Record<string, unknown> = { type, sequence_number: this.sequence++, ...fields }
    if (typeof fields.delta === 'string') data.obfuscation = obfuscation(this.seed++)
    return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`
  }

  /** The sequence number the next event gets. */
  get nextSequence(): number {
    return this.sequence
  }

  usage(outputTokens: number): Record<string, unknown> {
    return {
      input_tokens: this.promptTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: this.promptTokens + outputTokens,
    }
  }

  /** The Response object, fields in the recorded order, echoing the request's settings. */
  response(fields: ResponseFields): Record<string, unknown> {
    const b = this.body
    const reasoning = isObject(b.reasoning) ? b.reasoning : {}
    const text = isObject(b.text) ? b.text : {}
    return {
      id: this.id,
      object: 'response',
      created_at: this.created,
      status: fields.status,
      background: b.background === true,
      completed_at: fields.status === 'completed' ? Math.floor(Date.now() / 1000) : null,
      error: fields.error ?? null,
      incomplete_details: fields.incompleteReason ? { reason: fields.incompleteReason } : null,
      instructions: typeof b.instructions === 'string' ? b.instructions : null,
      max_output_tokens: typeof b.max_output_tokens === 'number' ? b.max_output_tokens : null,
      max_tool_calls: typeof b.max_tool_calls === 'number' ? b.max_tool_calls : null,
      model: this.model,
      output: fields.output ?? [],
      parallel_tool_calls: b.parallel_tool_calls !== false,
      previous_response_id: typeof b.previous_response_id === 'string' ? b.previous_response_id : null,
      prompt_cache_key: typeof b.prompt_cache_key === 'string' ? b.prompt_cache_key : null,
      prompt_cache_retention: typeof b.prompt_cache_retention === 'string' ? b.prompt_cache_retention : null,
      reasoning: { effort: reasoning.effort ?? null, summary: reasoning.summary ?? null },
      safety_identifier: typeof b.safety_identifier === 'string' ? b.safety_identifier : null,
      service_tier: fields.status === 'completed' ? 'default' : 'auto',
      store: b.store !== false,
      temperature: typeof b.temperature === 'number' ? b.temperature : 1.0,
      text: { format: text.format ?? { type: 'text' }, verbosity: text.verbosity ?? 'medium' },
      tool_choice: b.tool_choice ?? 'auto',
      tools: Array.isArray(b.tools) ? b.tools : [],
      top_logprobs: typeof b.top_logprobs === 'number' ? b.top_logprobs : 0,
      top_p: typeof b.top_p === 'number' ? b.top_p : 1.0,
      truncation: typeof b.truncation === 'string' ? b.truncation : 'disabled',
      usage: fields.usage ?? null,
      user: typeof b.user === 'string' ? b.user : null,
      metadata: isObject(b.metadata) ? b.metadata : {},
    }
  }
}

export const outputText = (text: string) => ({ type: 'output_text', annotations: [], logprobs: [], text })
export const refusalPart = (refusal: string) => ({ type: 'refusal', refusal })

export function messageItem(id: string, status: string, content: unknown[]): Record<string, unknown> {
  return { id, type: 'message', status, content, role: 'assistant' }
}

export function callItem(
  id: string,
  custom: boolean,
  status: string,
  callId: string,
  name: string,
  input: string,
): Record<string, unknown> {
  return custom
    ? { id, type: 'custom_tool_call', status, call_id: callId, input, name }
    : { id, type: 'function_call', status, arguments: input, call_id: callId, name }
}
