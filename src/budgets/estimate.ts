/**
 * Input estimates that can only be too high, so that a reservation always covers what the
 * provider will count.
 *
 * Why UTF-8 bytes bound the tokens of text: OpenAI's tokenizers (cl100k, o200k) are byte-level BPE
 * over the UTF-8 bytes, and every token stands for at least one byte. Gemini's tokenizer is a
 * SentencePiece model with byte fallback: a token is either a piece of at least one character (at
 * least one byte) or a single byte. Either way a text of n bytes is at most n tokens. What the text
 * does not show, the role markers and separators a chat template puts around each message and the
 * reply's priming, is covered by {@link MESSAGE_OVERHEAD_TOKENS} per message (OpenAI documents 3 to 4)
 * and {@link REQUEST_OVERHEAD_TOKENS} per request; the assumption is that no provider adds more.
 *
 * Media (images, audio, files) have no such proof: a provider counts an image by its size in pixels
 * and audio by its length. Each media part counts its base64 length plus {@link MEDIA_PART_TOKENS},
 * which covers any OpenAI image (at most about 3,800 tokens: 1,536 patches × 2.46 on gpt-4.1-nano,
 * 1,445 with 512 px tiles) and any Gemini image up to 3,072 × 3,072 px (16 tiles × 258), whatever its
 * bytes; audio costs Gemini 32 tokens a second, far less than any codec's bytes a second.
 *
 * @example
 * estimateInputTokens(['Be brief.', 'Xin chào!'], { messages: 2 }) // 9 + 10 bytes + 2 × 8 + 32 = 67
 * estimateChatInput({ prompt: 'Hi', system: 'Be brief.' })           // 2 + 9 + 2 × 8 + 32 = 59
 * estimateChatCompletionInput({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Hi' }] })
 */

export const MESSAGE_OVERHEAD_TOKENS = 8
export const REQUEST_OVERHEAD_TOKENS = 32
/** Per tool definition, for the wrapping a provider renders around its JSON schema. */
export const TOOL_OVERHEAD_TOKENS = 16
export const MEDIA_PART_TOKENS = 4_096

/** The UTF-8 length of a string, without encoding it (a lone surrogate is 3 bytes, as U+FFFD). */
export function utf8Length(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x80) bytes += 1
    else if (code < 0x800) bytes += 2
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4
        i++
      } else bytes += 3
    } else bytes += 3
  }
  return bytes
}

export interface EstimateShape {
  /** Messages (turns) the texts are spread over, system included; default: one per text. */
  messages?: number
  tools?: number
  /** Image, audio and file parts (their base64 data counted among the texts, or not at all for a URL). */
  media?: number
}

/** Every text the request sends (system, messages, tool definitions as JSON, base64 data…). */
export function estimateInputTokens(texts: readonly string[], shape: EstimateShape = {}): number {
  let bytes = 0
  for (const text of texts) bytes += utf8Length(text)
  return (
    bytes +
    (shape.messages ?? texts.length) * MESSAGE_OVERHEAD_TOKENS +
    (shape.tools ?? 0) * TOOL_OVERHEAD_TOKENS +
    (shape.media ?? 0) * MEDIA_PART_TOKENS +
    REQUEST_OVERHEAD_TOKENS
  )
}

/** The `/api` request: `user_input` as `prompt`, `system`, earlier `messages`. */
export function estimateChatInput(request: {
  prompt: string
  system?: string
  messages?: readonly { content: string }[]
}): number {
  const texts = [request.prompt, ...(request.system ? [request.system] : [])]
  for (const message of request.messages ?? []) texts.push(message.content)
  return estimateInputTokens(texts)
}

const MEDIA_TYPES = new Set(['image_url', 'input_audio', 'file', 'image', 'audio', 'input_image', 'input_file'])

function countMedia(value: unknown): number {
  if (Array.isArray(value)) return value.reduce<number>((sum, item) => sum + countMedia(item), 0)
  if (typeof value !== 'object' || value === null) return 0
  const own = MEDIA_TYPES.has((value as { type?: unknown }).type as string) ? 1 : 0
  let nested = 0
  for (const child of Object.values(value)) nested += countMedia(child)
  return own + nested
}

/**
 * A `/v1/chat/completions` body as the client sent it, before any translation: the UTF-8 length of
 * the whole body as JSON (every string in it at least once, so every text, tool definition, tool
 * call and base64 payload; JSON escapes only lengthen a string), plus the overheads per message,
 * tool and media part.
 */
export function estimateChatCompletionInput(body: unknown): number {
  const { messages, tools } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  return estimateInputTokens([JSON.stringify(body ?? null)], {
    messages: Array.isArray(messages) ? messages.length : 1,
    tools: Array.isArray(tools) ? tools.length : 0,
    media: countMedia(messages),
  })
}
