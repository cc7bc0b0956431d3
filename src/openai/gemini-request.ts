import type { Content } from '@google/genai'
import type { ParamIssue } from './errors'
import { toGeminiContents } from './gemini-messages'
import { toGenerationConfig, type GeminiGenerationConfig } from './gemini-params'
import { toGeminiTools, type GeminiTools } from './gemini-tools'

/**
 * A whole chat completions request as a Gemini `GenerateContentRequest` body, or every
 * parameter that cannot be translated.
 *
 * @example
 * const translated = toGeminiRequest({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }], n: 2 }, 'gemini-2.5-flash')
 * // { ok: false, issues: [{ param: 'n', message: 'unsupported for Gemini (Gemini returns one choice: n must be 1)' }] }
 */

export interface GeminiRequest {
  contents: Content[]
  systemInstruction?: Content
  generationConfig?: GeminiGenerationConfig
  tools?: GeminiTools['tools']
  toolConfig?: GeminiTools['toolConfig']
}

export type Translation = { ok: true; request: GeminiRequest } | { ok: false; issues: ParamIssue[] }

export function toGeminiRequest(body: Record<string, unknown>, model: string): Translation {
  const params = toGenerationConfig(body, model)
  const messages = toGeminiContents(body.messages)
  const tools = toGeminiTools(body.tools, body.tool_choice)
  const issues = [...params.issues, ...messages.issues, ...tools.issues]
  if (issues.length > 0) return { ok: false, issues }
  const request: GeminiRequest = { contents: messages.contents }
  if (messages.systemInstruction) request.systemInstruction = messages.systemInstruction
  if (Object.keys(params.config).length > 0) request.generationConfig = params.config
  if (tools.tools) request.tools = tools.tools
  if (tools.toolConfig) request.toolConfig = tools.toolConfig
  return { ok: true, request }
}
