/**
 * The deterministic answer text the emulator streams for a prompt, and how it is cut into chunks.
 *
 * The text depends only on the prompt (with `[emu ...]` tags removed), the provider and the
 * `sentences` control, never on delays, byte splits or faults, so a test can compute it up front
 * and compare byte for byte.
 *
 * @example
 * expectedAnswer('Xin chào [emu delay=20]', { provider: 'gemini' })
 * // 'Emulated Gemini answer to: "Xin chào". Xin chào! Đây là ...'
 */
import { parseScenario, stripTags } from './scenario.ts'

export type Provider = 'openai' | 'gemini'

export interface AnswerOptions {
  provider: Provider
  /** Number of sentences; by default the `sentences=` control in the prompt, else 5. */
  sentences?: number
}

export const DEFAULT_SENTENCES = 5

const FIXED: readonly string[] = [
  // 2: Vietnamese with stacked diacritics (2- and 3-byte UTF-8).
  'Xin chào! Đây là câu trả lời mô phỏng, có dấu tiếng Việt: ắ ằ ẳ ẵ ặ, ơ ư đ.',
  // 3: CJK (3 bytes) and emoji (4 bytes, a surrogate pair in JS).
  '你好，世界！这是一个模拟的回答。日本語もテストします。Emoji 🚀✨🎉 are 4-byte characters.',
  // 4: characters that must be escaped in JSON: quotes, backslash, tab, newline.
  'Escapes: "double quotes", a back\\slash, a\ttab and a line break:\nsecond line.',
  // 5: text that looks like SSE framing, which a careless parser would act on.
  'Plain text that looks like a protocol line: data: [DONE] and {"done":true} stay text.',
]

const FILLER = ['Thêm một câu nữa', '再来一句', 'One more sentence', 'Encore une phrase 🙂']

function providerLabel(provider: Provider): string {
  return provider === 'openai' ? 'OpenAI' : 'Gemini'
}

/** The sentence list for a prompt, before joining with single spaces. */
function sentencesFor(prompt: string, options: AnswerOptions): string[] {
  const clean = stripTags(prompt)
  const count = Math.max(1, Math.floor(options.sentences ?? parseScenario(prompt).sentences ?? DEFAULT_SENTENCES))
  const out = [`Emulated ${providerLabel(options.provider)} answer to: "${clean}".`]
  for (let i = 0; out.length < count; i++) {
    out.push(i < FIXED.length ? FIXED[i]! : `${FILLER[i % FILLER.length]} (#${out.length + 1}).`)
  }
  return out
}

/** The exact text the emulator streams for `prompt` (the last user message, tags included or not). */
export function expectedAnswer(prompt: string, options: AnswerOptions): string {
  return sentencesFor(prompt, options).join(' ')
}

/** The refusal text of `fault=refusal` (OpenAI `delta.refusal`). */
export function expectedRefusal(prompt: string): string {
  return `I'm sorry, but I can't help with "${stripTags(prompt)}".`
}

/** The thought-summary texts of `thoughts=N` (Gemini parts with `"thought": true`). */
export function thoughtTexts(count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `**Thinking step ${i + 1}**\n\nThe emulator pretends to reason (bước ${i + 1}, 思考).\n\n`,
  )
}

/**
 * Splits text into stream pieces. Without `chunks`, token-like pieces (a word with its leading
 * whitespace, one or two Han characters, or one symbol), grouped `group` at a time. With `chunks`,
 * exactly that many pieces of near-equal code-point length (fewer if the text is shorter).
 * Never splits inside a code point.
 */
export function splitText(text: string, chunks?: number, group = 1): string[] {
  if (text === '') return []
  if (chunks !== undefined && chunks > 0) {
    const cps = Array.from(text)
    const n = Math.min(Math.floor(chunks), cps.length)
    const out: string[] = []
    for (let i = 0; i < n; i++) {
      out.push(cps.slice(Math.floor((i * cps.length) / n), Math.floor(((i + 1) * cps.length) / n)).join(''))
    }
    return out
  }
  const tokens = text.match(/\s*(?:\p{Script=Han}{1,2}|[\p{L}\p{N}\p{M}']+|\S)|\s+$/gu) ?? [text]
  if (group <= 1) return tokens
  const out: string[] = []
  for (let i = 0; i < tokens.length; i += group) out.push(tokens.slice(i, i + group).join(''))
  return out
}

/** The pieces the emulator will stream for this prompt and provider (joined, they equal expectedAnswer). */
export function expectedChunks(prompt: string, options: AnswerOptions & { chunks?: number }): string[] {
  const chunks = options.chunks ?? parseScenario(prompt).chunks
  return splitText(expectedAnswer(prompt, options), chunks, options.provider === 'gemini' ? 3 : 1)
}

/**
 * The text a client receives before a mid-stream fault (`drop`, `malformed`, `stall`, `midstream`,
 * `safety`): the first `after` pieces.
 */
export function expectedPrefix(prompt: string, options: AnswerOptions & { chunks?: number; after?: number }): string {
  const pieces = expectedChunks(prompt, options)
  const after = options.after ?? parseScenario(prompt).after ?? defaultAfter(pieces.length)
  return pieces.slice(0, after).join('')
}

export function defaultAfter(pieceCount: number): number {
  return Math.min(3, Math.max(1, Math.floor(pieceCount / 2)))
}
