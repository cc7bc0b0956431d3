/**
 * What turns a provider's streamed body into `chat.completion.chunk` frames for the client, one
 * network read at a time: plain functions called by the one pull-based response stream
 * ({@link import('./frame-stream').frameStream}), so no generator or extra stream sits between
 * the upstream read and the client.
 *
 * @example
 * const source = createRelaySource(1 << 20) // OpenAI: its own bytes; createGeminiSource(translator): translated
 * source.push(read.value, (frame) => controller.enqueue(frame))
 * source.end(emit)                  // at the upstream's end: throws when the stream was cut
 */
export interface FrameSource {
  /**
   * Turns one upstream read into frames, passed to `emit` (none while an event is incomplete).
   * Throws a ProviderError when the upstream reported a failure, after emitting what came before it.
   * Returns true once the answer's last frame (`data: [DONE]`) went out: the stream ends there,
   * before a client that stops reading at `[DONE]` (the openai SDKs do) cancels it.
   */
  push(chunk: Uint8Array, emit: Emit): boolean
  /** The upstream body ended: emits the last frames, or throws when it ended too early. */
  end(emit: Emit): void
  /** For the log line, once the stream ended: what the answer's last frames said. */
  summary(): AnswerSummary
}

export type Emit = (frame: Uint8Array) => void

export interface AnswerSummary {
  model?: string
  finish_reason?: string
  usage?: unknown
}
