import type { AnswerResult, PartSink, Usage } from '../canonical/parts'
import type { CanonicalRequest } from '../canonical/request'
import type { ProviderName } from '../env'

/**
 * Turns one answer's raw upstream bytes into canonical parts, in one pass and with no extra stream
 * stage: {@link push} calls the sink for every part as soon as its event is complete. Both throw a
 * {@link import('./errors').ProviderError} when the provider reports a failure.
 */
export interface AnswerDecoder {
  push(bytes: Uint8Array): void
  /** The upstream body ended: how the answer ended, or the error it ended with. */
  finish(): AnswerResult
  /** The usage the provider reported so far (an answer that fails midway may have some). */
  usage(): Usage | undefined
  /**
   * An upper bound of the tokens generated so far that showed (text, reasoning, tool input): their
   * UTF-16 length times 3 (every token is at least one UTF-8 byte; a UTF-16 unit is at most 3), or
   * the bytes of the frames passed through.
   */
  generatedBound(): number
  /** True once the answer's last event was read, before the upstream closed (`[DONE]`). */
  isComplete?(): boolean
}

/** One request sent upstream, its body not read yet. */
export interface UpstreamAnswer {
  body: ReadableStream<Uint8Array>
  /** A decoder for this answer's bytes, writing to `sink`. */
  decoder(sink: PartSink): AnswerDecoder
}

export interface ChatProvider {
  readonly name: ProviderName
  readonly defaultModel: string
  /** False when the provider's API key binding is not set. */
  readonly configured: boolean
  /**
   * Sends the request for `model`. Resolves once the upstream answered 2xx; rejects with a
   * {@link import('./errors').ProviderError} otherwise (its `status` and `retryAfterMs` say whether
   * to retry). Aborting `signal` closes the upstream connection at once.
   */
  open(request: CanonicalRequest, model: string, signal: AbortSignal): Promise<UpstreamAnswer>
}

/** The runtime's `fetch`, injectable for tests and other runtimes. */
export type FetchFunction = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>
