import type { ProviderName } from '../env'

/** One earlier turn of the conversation. */
export interface ChatMessage {
  role: 'user' | 'assistant'
  content: string
}

/** What a client asks for, in provider-neutral terms. */
export interface ChatRequest {
  /** The new user message (the API's `user_input`). */
  prompt: string
  system?: string
  messages?: ChatMessage[]
  /** Overrides the provider's configured default model. */
  model?: string
  temperature?: number
  maxTokens?: number
}

/** Token counts, normalised across providers. */
export interface Usage {
  prompt_tokens?: number
  completion_tokens?: number
  total_tokens?: number
  reasoning_tokens?: number
}

/** How the answer ended, normalised: provider-specific reasons are lower-cased (e.g. `max_tokens`). */
export type FinishReason = 'stop' | 'length' | 'refusal' | (string & {})

/** What a finished stream reports once its last text piece is out. */
export interface StreamResult {
  provider: ProviderName
  model: string
  finishReason: FinishReason
  usage?: Usage
}

/**
 * The text of an answer as it is written: yields text pieces, returns the
 * {@link StreamResult}, throws a {@link import('./errors').ProviderError} on failure.
 */
export type TextStream = AsyncGenerator<string, StreamResult, undefined>

export interface StreamOptions {
  /** Aborting it closes the upstream connection at once. */
  signal: AbortSignal
}

export interface ChatProvider {
  readonly name: ProviderName
  readonly defaultModel: string
  /** False when the provider's API key binding is not set. */
  readonly configured: boolean
  stream(request: ChatRequest, options: StreamOptions): TextStream
}

/** The runtime's `fetch`, injectable for tests and other runtimes. */
export type FetchFunction = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>
