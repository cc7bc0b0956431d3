import type { CompletionUsage } from 'openai/resources/completions'
import type { FinishReason, Usage } from '../../canonical/parts'

/**
 * Chat completions' words for the canonical usage and finish reason.
 *
 * @example
 * chatFinish('tool-calls') // 'tool_calls'
 */
export function chatUsage(usage: Usage | undefined): CompletionUsage {
  return {
    prompt_tokens: usage?.inputTokens ?? 0,
    completion_tokens: usage?.outputTokens ?? 0,
    total_tokens: usage?.totalTokens ?? 0,
    prompt_tokens_details: { cached_tokens: usage?.cachedInputTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: usage?.reasoningTokens ?? 0 },
  }
}

const FINISH: Record<FinishReason, 'stop' | 'length' | 'tool_calls' | 'content_filter'> = {
  stop: 'stop',
  length: 'length',
  'tool-calls': 'tool_calls',
  'content-filter': 'content_filter',
  refusal: 'stop',
  other: 'stop',
}

export function chatFinish(finish: FinishReason): 'stop' | 'length' | 'tool_calls' | 'content_filter' {
  return FINISH[finish]
}

/** A new `chatcmpl-…` id. */
export function completionId(): string {
  return `chatcmpl-${crypto.randomUUID().replaceAll('-', '').slice(0, 24)}`
}
