/**
 * One chat request in provider-neutral terms: what every public API's parser produces and every
 * provider's request builder reads (after the AI SDK's `LanguageModelV3Prompt`). Plain JSON, so a
 * resumable stream can carry it into a Durable Object.
 *
 * @example
 * const request: CanonicalRequest = {
 *   messages: [{ role: 'system', parts: [{ type: 'text', text: 'Be brief.' }] },
 *              { role: 'user', parts: [{ type: 'text', text: 'Hi' }] }],
 *   maxOutputTokens: 200,
 * }
 */
export interface CanonicalRequest {
  messages: Message[]
  maxOutputTokens?: number
  temperature?: number
  topP?: number
  stop?: string[]
  seed?: number
  presencePenalty?: number
  frequencyPenalty?: number
  /** JSON output, with a JSON Schema when one is given. */
  responseFormat?: { type: 'json'; schema?: Record<string, unknown>; name?: string }
  /** `none`, `minimal`, `low`, `medium`, `high`, `xhigh`, `max`. */
  reasoningEffort?: string
  /** Stream the model's thoughts as reasoning parts (Gemini `includeThoughts`). */
  includeReasoning?: boolean
  tools?: Tool[]
  toolChoice?: ToolChoice
  /**
   * The client's own OpenAI body (chat completions or Responses), sent to OpenAI as it is with only
   * `model` rewritten, so fields the gateway does not know still reach OpenAI; its answer is passed
   * through as raw frames. Other providers use the canonical fields.
   */
  passthrough?: Passthrough
}

export interface Passthrough {
  api: 'chat' | 'responses'
  body: Record<string, unknown>
  /**
   * `strip`: ask OpenAI for the usage chunk (`stream_options.include_usage`) though the client did
   * not, and keep it from the client: the gateway needs the figures (a token budget settles to them).
   */
  usageChunk?: 'strip'
}

export type Message =
  | { role: 'system'; parts: TextPart[] }
  | { role: 'user'; parts: (TextPart | FilePart)[] }
  | { role: 'assistant'; parts: (TextPart | ReasoningPart | ToolCallPart)[] }
  | { role: 'tool'; parts: ToolResultPart[] }

export interface TextPart {
  type: 'text'
  text: string
}

/** Inline data, base64: an image, audio or a document. */
export interface FilePart {
  type: 'file'
  mediaType: string
  data: string
}

export interface ReasoningPart {
  type: 'reasoning'
  text: string
  /** Gemini's thought signature, returned as it came. */
  signature?: string
}

export interface ToolCallPart {
  type: 'tool-call'
  id: string
  name: string
  /** JSON text of the arguments; for a custom tool, its raw input text. */
  input: string
  custom?: boolean
  signature?: string
}

export interface ToolResultPart {
  type: 'tool-result'
  /** The id of the call it answers. */
  id: string
  name: string
  /** The tool's output as text (JSON text or plain). */
  output: string
}

export type Tool =
  | { type: 'function'; name: string; description?: string; parameters?: Record<string, unknown> }
  /** A freeform tool: the model's input to it is raw text. */
  | { type: 'custom'; name: string; description?: string }

export type ToolChoice =
  | 'auto'
  | 'none'
  | 'required'
  | { name: string }
  | { allowed: string[]; mode: 'auto' | 'required' }

/** A request with one user message, and a system prompt when given. */
export function textRequest(prompt: string, system?: string): CanonicalRequest {
  const messages: Message[] = []
  if (system) messages.push({ role: 'system', parts: [{ type: 'text', text: system }] })
  messages.push({ role: 'user', parts: [{ type: 'text', text: prompt }] })
  return { messages }
}
