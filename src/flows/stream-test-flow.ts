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
 * {@link streamLLM}. It passes every text piece on as it arrives, so nothing is
 * buffered on the way.
 *
 * @example
 * for await (const text of runStreamTestWorkflow('Hello!', { provider: 'gemini', providers, signal })) {
 *   send(text)
 * }
 */
export async function* runStreamTestWorkflow(userInput: string, options: StreamTestFlowOptions): TextStream {
  const answer = streamLLM(options.provider, { ...options.request, prompt: userInput }, options)
  while (true) {
    const step = await answer.next()
    // Issue 8: the request's one log line (src/observability/request-record.ts) now carries the
    // timing, pieces and bytes of every request, so this flow no longer logs its own line.
    if (step.done) return step.value
    yield step.value
  }
}
