import type { ResponseUsage } from 'openai/resources/responses/responses'
import type { FinishReason, Usage } from '../../canonical/parts'
import { openaiUsage } from './decoder'

/**
 * What a passed-through OpenAI answer says about itself, for the log line and budgets: the model,
 * the finish reason and the usage, read from a stream's last events or a whole body.
 *
 * @example
 * readSummary('chat', 'data: {"choices":[],"usage":{…}}\n\ndata: [DONE]\n\n') // { usage: {…} }
 */
export interface RelaySummary {
  model?: string
  finish?: FinishReason
  rawFinish?: string
  usage?: Usage
}

const CHAT_FINISH: Record<string, FinishReason> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool-calls',
  content_filter: 'content-filter',
}

type Json = Record<string, unknown>

function tryParse(text: string): Json | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null ? (value as Json) : undefined
  } catch {
    return undefined
  }
}

function responsesUsage(usage: ResponseUsage): Usage {
  return {
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    reasoningTokens: usage.output_tokens_details?.reasoning_tokens ?? 0,
    cachedInputTokens: usage.input_tokens_details?.cached_tokens ?? 0,
    totalTokens: usage.total_tokens,
  }
}

function fromResponse(response: Json | undefined): RelaySummary {
  if (!response) return {}
  const summary: RelaySummary = {}
  if (typeof response.model === 'string') summary.model = response.model
  const status = response.status
  if (status === 'incomplete') {
    const reason = (response.incomplete_details as Json | undefined)?.reason
    summary.rawFinish = typeof reason === 'string' ? reason : 'incomplete'
    summary.finish = reason === 'content_filter' ? 'content-filter' : 'length'
  } else if (typeof status === 'string') {
    summary.rawFinish = status
    summary.finish = 'stop'
  }
  if (response.usage && typeof response.usage === 'object')
    summary.usage = responsesUsage(response.usage as ResponseUsage)
  return summary
}

function fromChat(frame: Json | undefined, finish: string | undefined): RelaySummary {
  const summary: RelaySummary = {}
  if (finish) {
    summary.rawFinish = finish
    summary.finish = CHAT_FINISH[finish] ?? 'other'
  }
  if (!frame) return summary
  if (typeof frame.model === 'string') summary.model = frame.model
  if (frame.usage && typeof frame.usage === 'object') summary.usage = openaiUsage(frame.usage as never)
  return summary
}

export function readSummary(api: 'chat' | 'responses', text: string, whole = false): RelaySummary {
  if (whole) {
    const body = tryParse(text)
    if (api === 'responses') return fromResponse(body)
    const choice = (body?.choices as Json[] | undefined)?.[0]
    return fromChat(body, typeof choice?.finish_reason === 'string' ? choice.finish_reason : undefined)
  }
  if (api === 'responses') {
    const at = text.search(/data: ?\{"type":"response\.(completed|incomplete|failed)"/)
    if (at < 0) return {}
    const line = text.slice(text.indexOf('{', at)).split(/\r?\n/, 1)[0] ?? ''
    // The terminal event's `response` is the whole answer: its usage is at its end.
    return fromResponse(tryParse(line)?.response as Json | undefined)
  }
  const finish = [...text.matchAll(/"finish_reason"\s*:\s*"([a-z_]+)"/g)].pop()?.[1]
  const at = text.lastIndexOf('data: {')
  const frame = at >= 0 ? tryParse(text.slice(at + 6).split(/\r?\n/, 1)[0] ?? '') : undefined
  return fromChat(frame, finish)
}
