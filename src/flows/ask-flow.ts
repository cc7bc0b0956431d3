import type { ProviderName } from '../env'
import { streamLLM, type StreamLLMOptions } from '../llm'
import type { ChatRequest, StreamResult } from '../providers/types'

export interface AskResult {
  response: string
  provider: ProviderName
  model: string
  finish_reason: string
  usage?: StreamResult['usage']
}

/**
 * The whole answer at once (`POST /api/flows/ask`): the same provider stream as the
 * SSE endpoints, collected. Throws a `ProviderError` when the answer fails.
 *
 * @example
 * const { response } = await runAskWorkflow('gemini', { prompt: 'Hello' }, { providers, signal })
 */
export async function runAskWorkflow(
  provider: ProviderName,
  request: ChatRequest,
  options: StreamLLMOptions,
): Promise<AskResult> {
  const answer = streamLLM(provider, request, options)
  const pieces: string[] = []
  while (true) {
    const step = await answer.next()
    if (step.done) {
      const { model, finishReason, usage } = step.value
      return { response: pieces.join(''), provider, model, finish_reason: finishReason, ...(usage ? { usage } : {}) }
    }
    pieces.push(step.value)
  }
}
