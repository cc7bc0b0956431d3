import type { ProviderName } from '../env'

/**
 * The one vocabulary every provider decoder speaks and every public API renders, after the Vercel AI
 * SDK's `LanguageModelV3StreamPart`: text and reasoning deltas, tool calls (start, argument deltas,
 * end), raw provider frames for pass-through, and, once the answer ended, an {@link AnswerResult}
 * with the usage and the finish reason. Failures are thrown as `ProviderError`s.
 *
 * The per-chunk path is hot, so parts are callbacks on a sink rather than an object per part.
 *
 * @example
 * const sink: PartSink = { text: (delta) => send(delta), reasoning() {}, toolCallStart() {},
 *   toolCallDelta() {}, toolCallEnd() {}, raw: (frame) => forward(frame) }
 */
export interface PartSink {
  /** A piece of the answer's text. */
  text(delta: string): void
  /** A piece of the model's reasoning (Gemini thoughts, OpenAI reasoning summaries); never answer text. */
  reasoning(delta: string): void
  /** A tool call begins. `index` counts the answer's calls from 0. */
  toolCallStart(call: ToolCallStart): void
  /** More of a call's input: JSON text for a function, raw text for a custom (freeform) tool. */
  toolCallDelta(index: number, delta: string): void
  /** The call's input is complete. */
  toolCallEnd(index: number): void
  /** One or more whole SSE events (or a whole JSON body) of the provider's own wire format, passed through. */
  raw(frame: Uint8Array): void
  /** The provider named the model that answers (Gemini's `modelVersion`), once, before or with its first part. */
  modelName?(name: string): void
}

export interface ToolCallStart {
  index: number
  id: string
  name: string
  /** Gemini's thought signature for this call: it must come back with the call on the next turn. */
  signature?: string
}

/** Token counts, one definition for every provider. */
export interface Usage {
  inputTokens: number
  /** Everything the model generated, reasoning included. */
  outputTokens: number
  /** The part of {@link outputTokens} spent reasoning. */
  reasoningTokens: number
  /** The part of {@link inputTokens} served from the provider's cache. */
  cachedInputTokens: number
  totalTokens: number
}

/**
 * How the answer ended, unified: `content-filter` covers a blocked prompt and a safety stop,
 * `refusal` an OpenAI refusal (its text came as text).
 */
export type FinishReason = 'stop' | 'length' | 'tool-calls' | 'content-filter' | 'refusal' | 'other'

/** What a finished answer reports once its last part is out. */
export interface AnswerResult {
  provider: ProviderName
  /** The model that answered, as the provider names it. */
  model: string
  finish: FinishReason
  /** The provider's own finish reason (`STOP`, `SAFETY`, `stop`, `tool_calls`…), or the block reason. */
  rawFinish: string
  /** The prompt itself was blocked (Gemini `promptFeedback.blockReason`): nothing was generated. */
  promptBlocked?: boolean
  usage?: Usage
}

/** A sink that drops every part: a base to spread into a renderer that needs only some. */
export const IGNORE_PARTS: PartSink = {
  text() {},
  reasoning() {},
  toolCallStart() {},
  toolCallDelta() {},
  toolCallEnd() {},
  raw() {},
}
