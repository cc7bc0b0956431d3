import type { ProviderName } from '../env'
import type { Usage } from '../providers/types'
import { Generation, type GenerationPlan } from './generation'

export interface AskResult {
  response: string
  provider: ProviderName
  model: string
  finish_reason: string
  usage?: Usage
  attempts: number
}

/**
 * The whole answer at once (`POST /api/flows/ask`): the same generation as the SSE endpoints
 * (retries, fallback, timeouts), collected. Rejects with the failure (a `ProviderError`).
 *
 * @example
 * const { response } = await runAskWorkflow(planFor(config, providers, { provider: 'gemini', request }), signal)
 */
export async function runAskWorkflow(
  plan: GenerationPlan,
  signal: AbortSignal | undefined,
  onEnd?: (generation: Generation) => void,
): Promise<AskResult> {
  const pieces: string[] = []
  let answer: AskResult | undefined
  let failure: { error: unknown } | undefined
  const generation = new Generation(plan, {
    text: (piece) => pieces.push(piece),
    done(result, attempts) {
      const { provider, model, finishReason, usage } = result
      answer = {
        response: pieces.join(''),
        provider,
        model,
        finish_reason: finishReason,
        ...(usage ? { usage } : {}),
        attempts,
      }
    },
    fail: (error) => (failure = { error }),
  })
  const stop = (): void => generation.abort(signal?.reason)
  signal?.addEventListener('abort', stop, { once: true })
  try {
    while (await generation.step()) {}
  } finally {
    signal?.removeEventListener('abort', stop)
    onEnd?.(generation)
  }
  if (answer) return answer
  throw failure ? failure.error : (signal?.reason ?? new Error('the answer was stopped'))
}
