import type { Content, GenerateContentParameters } from '@google/genai'
import type { ChatRequest } from '../types'

/** The REST body of `streamGenerateContent` (the SDK's `config` spelled as the wire has it). */
export interface GeminiBody {
  contents: Content[]
  systemInstruction?: Content
  generationConfig?: { temperature?: number; maxOutputTokens?: number }
}

/**
 * The `streamGenerateContent` body for a gateway request: earlier turns with Gemini's roles
 * (`user`, `model`), the new message, the system prompt as `systemInstruction`.
 *
 * @example
 * geminiBody({ prompt: 'Hi', system: 'Be brief.' })
 * // { contents: [{ role: 'user', parts: [{ text: 'Hi' }] }], systemInstruction: { parts: [{ text: 'Be brief.' }] } }
 */
export function geminiBody(request: ChatRequest): GeminiBody {
  const contents: GenerateContentParameters['contents'] & Content[] = []
  for (const turn of request.messages ?? []) {
    contents.push({ role: turn.role === 'assistant' ? 'model' : 'user', parts: [{ text: turn.content }] })
  }
  contents.push({ role: 'user', parts: [{ text: request.prompt }] })
  const generationConfig = {
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.maxTokens !== undefined ? { maxOutputTokens: request.maxTokens } : {}),
  }
  return {
    contents,
    ...(request.system ? { systemInstruction: { parts: [{ text: request.system }] } } : {}),
    ...(Object.keys(generationConfig).length > 0 ? { generationConfig } : {}),
  }
}
