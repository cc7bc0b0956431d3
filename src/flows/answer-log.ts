import { ProviderError } from '../providers/errors'
import type { Generation } from './generation'

/**
 * One JSON line per answer, however it ended: who answered, how long it took, every attempt.
 *
 * @example
 * logAnswer(generation, 'done') // {"event":"answer","outcome":"done","provider":"gemini",…}
 */
export function logAnswer(generation: Generation, outcome: string, fields: Record<string, unknown> = {}): void {
  const error = generation.error
  const line = {
    event: 'answer',
    outcome: outcome === 'error' && error instanceof ProviderError ? error.kind : outcome,
    ...fields,
    provider: generation.provider,
    model: generation.result?.model ?? generation.model,
    finish_reason: generation.result?.finishReason,
    first_text_ms: generation.firstTextAt ? generation.firstTextAt - generation.startedAt : null,
    duration_ms: Date.now() - generation.startedAt,
    pieces: generation.pieces,
    characters: generation.characters,
    usage: generation.result?.usage,
    attempts: generation.attempts,
    ...(error !== undefined ? { error: error instanceof ProviderError ? error.message : 'internal error' } : {}),
  }
  if (outcome === 'error') console.error(JSON.stringify(line))
  else console.log(JSON.stringify(line))
}
