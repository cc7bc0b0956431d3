import type { AnswerResult, Usage } from '../../canonical/parts'
import { ProviderError } from '../../providers/errors'
import { blockedError } from '../../providers/finish-errors'

/**
 * The gateway's own (seed API) words for an answer's end: the closing event's `finish_reason` and
 * `usage`, and the message of a failure.
 *
 * @example
 * seedUsage({ inputTokens: 9, outputTokens: 7, reasoningTokens: 0, cachedInputTokens: 0, totalTokens: 16 })
 * // { prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 }
 */

export interface SeedUsage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
  reasoning_tokens?: number
}

export function seedUsage(usage: Usage): SeedUsage {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens,
    ...(usage.reasoningTokens ? { reasoning_tokens: usage.reasoningTokens } : {}),
  }
}

const FINISH: Record<string, string> = {
  stop: 'stop',
  length: 'length',
  refusal: 'refusal',
  'tool-calls': 'tool_calls',
}

/** The closing event's fields for a provider's answer. */
export function describeResult(result: AnswerResult, attempts: number): Record<string, unknown> {
  return {
    provider: result.provider,
    model: result.model,
    finish_reason: FINISH[result.finish] ?? result.rawFinish.toLowerCase(),
    ...(result.usage ? { usage: seedUsage(result.usage) } : {}),
    attempts,
  }
}

/** A blocked prompt or a safety stop: the gateway's own API reports it as an error. */
export function blockedEnd(result: AnswerResult): ProviderError | undefined {
  if (result.finish !== 'content-filter') return undefined
  return blockedError(result.provider, result.rawFinish, result.promptBlocked === true)
}

/** The message a client sees for a failure: a {@link ProviderError}'s own words, or a generic one. */
export function publicErrorMessage(error: unknown): string {
  if (error instanceof ProviderError) return error.message
  return 'gateway: internal error while streaming the answer. Retry; if it persists, check the gateway logs.'
}
