import type { ProviderName } from './env'
import type { ProviderRegistry } from './providers/registry'
import type { ChatRequest, StreamOptions, TextStream } from './providers/types'

export interface StreamLLMOptions extends StreamOptions {
  providers: ProviderRegistry
}

/**
 * Streams an answer from one provider: yields text pieces as they arrive and
 * returns how the answer ended. The counterpart of the old `stream_llm`
 * (and, with a fixed provider, of `stream_gpt` and `stream_gemini`).
 *
 * @example
 * for await (const text of streamLLM('openai', { prompt: 'Hello' }, { providers, signal })) {
 *   process(text)
 * }
 */
export function streamLLM(provider: ProviderName, request: ChatRequest, options: StreamLLMOptions): TextStream {
  return options.providers[provider].stream(request, { signal: options.signal })
}
