import type { ProviderName } from '../env'
import { ProviderError } from './errors'

/**
 * How an answer that ended abnormally is told to clients: a stop that is no normal end (retried
 * before any output), and a blocked prompt or safety stop for APIs that report it as an error.
 *
 * @example
 * throw stoppedError('gemini', 'OTHER')
 */
/** The model stopped in a way that is no normal end (Gemini OTHER, MALFORMED_FUNCTION_CALL, …): retried before any output. */
export function stoppedError(provider: ProviderName, rawFinish: string): ProviderError {
  return new ProviderError(
    provider,
    'upstream_stream_error',
    `${provider}: the answer was stopped by the model (finish reason ${rawFinish}). The answer is incomplete; retry or rephrase the request.`,
  )
}

/** A blocked prompt or a safety stop, for APIs that report it as an error (the gateway's own events). */
export function blockedError(provider: ProviderName, rawFinish: string, promptBlocked: boolean): ProviderError {
  if (promptBlocked) {
    return new ProviderError(
      provider,
      'blocked',
      `${provider}: the prompt was blocked by ${provider === 'gemini' ? "Gemini's" : "OpenAI's"} safety filters (block reason ${rawFinish}). Rephrase the question.`,
    )
  }
  if (provider === 'openai') {
    return new ProviderError(
      provider,
      'blocked',
      `openai: the answer was stopped by OpenAI's content filter (finish reason ${rawFinish}). Rephrase the question.`,
    )
  }
  const why =
    rawFinish === 'SAFETY' || rawFinish === 'IMAGE_SAFETY'
      ? "was stopped by Gemini's safety filters"
      : rawFinish === 'RECITATION'
        ? 'was stopped because it was reciting existing material'
        : rawFinish === 'PROHIBITED_CONTENT' || rawFinish === 'BLOCKLIST' || rawFinish === 'SPII'
          ? 'was stopped by Gemini because of prohibited or sensitive content'
          : 'was stopped by Gemini'
  return new ProviderError(
    provider,
    'blocked',
    `${provider}: the answer ${why} (finish reason ${rawFinish}). The answer is incomplete; rephrase the question.`,
  )
}
