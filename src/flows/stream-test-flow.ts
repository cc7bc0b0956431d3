import type { ProviderName } from '../env'
import { streamLLM, type StreamLLMOptions } from '../llm'
import type { ChatRequest, TextStream } from '../providers/types'

export interface StreamTestFlowOptions extends StreamLLMOptions {
  provider: ProviderName
  /** Everything of the request but the user input (model, system, messages…). */
  request?: Omit<ChatRequest, 'prompt'>
}

/**
 * The streaming workflow behind `/api/stream/chat` and `/api/stream/chat-get`
 * (the old `run_stream_test_workflow`): an example of a flow composed on
 * {@link streamLLM}. It passes every text piece on as it arrives and logs one
 * line per answer with its timing, so nothing is buffered on the way.
 *
 * @example
 * for await (const text of runStreamTestWorkflow('Hello!', { provider: 'gemini', providers, signal })) {
 *   send(text)
 * }
 */
export async function* runStreamTestWorkflow(userInput: string, options: StreamTestFlowOptions): TextStream {
  const startedAt = Date.now()
  let firstTextAt = 0
  let pieces = 0
  let characters = 0
  const answer = streamLLM(options.provider, { ...options.request, prompt: userInput }, options)
  while (true) {
    const step = await answer.next()
    if (step.done) {
      console.log(
        JSON.stringify({
          event: 'answer_done',
          provider: step.value.provider,
          model: step.value.model,
          finish_reason: step.value.finishReason,
          first_text_ms: firstTextAt ? firstTextAt - startedAt : null,
          total_ms: Date.now() - startedAt,
          pieces,
          characters,
        }),
      )
      return step.value
    }
    if (pieces === 0) firstTextAt = Date.now()
    pieces++
    characters += step.value.length
    yield step.value
  }
}
