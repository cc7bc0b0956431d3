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

/** What a finished answer reports once its last text piece is out. */
export interface StreamResult {
  provider: ProviderName
  model: string
  finishReason: FinishReason
  usage?: Usage
}

/**
 * Turns one answer's raw SSE bytes into text pieces, in one pass and with no extra stream stage:
 * {@link push} calls `onText` for every piece as soon as its event is complete.
 * Both throw a {@link import('./errors').ProviderError} when the provider reports a failure.
 */
export interface AnswerDecoder {
  push(bytes: Uint8Array): void
  /** The upstream body ended: how the answer ended, or the error it ended with. */
  finish(): StreamResult
}

/** One request sent upstream, its body not read yet. */
export interface UpstreamAnswer {
  body: ReadableStream<Uint8Array>
  /** A decoder for this answer's bytes. */
  decoder(onText: (text: string) => void): AnswerDecoder
}

export interface ChatProvider {
  readonly name: ProviderName
  readonly defaultModel: string
  /** False when the provider's API key binding is not set. */
  readonly configured: boolean
  /**
   * Sends the request. Resolves once the upstream answered 2xx; rejects with a
   * {@link import('./errors').ProviderError} otherwise (its `status` and `retryAfterMs` say whether
   * to retry). Aborting `signal` closes the upstream connection at once.
   */
  open(request: ChatRequest, signal: AbortSignal): Promise<UpstreamAnswer>
}

/** The runtime's `fetch`, injectable for tests and other runtimes. */
export type FetchFunction = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>
