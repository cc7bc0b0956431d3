import type { Content, FunctionDeclaration, GenerationConfig, Part, ThinkingLevel } from '@google/genai'
import type { CanonicalRequest, Message, Tool, ToolChoice } from '../../canonical/request'

/**
 * The `streamGenerateContent` body for a canonical request: system messages as `systemInstruction`,
 * user and tool turns as `user`, assistant turns as `model` (tool calls as `functionCall` parts with
 * their thought signature), consecutive turns of one role merged, as Gemini expects; tools as
 * `functionDeclarations` (a custom tool takes its raw input as one string argument, `input`).
 *
 * @example
 * geminiBody(textRequest('Hi', 'Be brief.'), 'gemini-2.5-flash')
 * // { contents: [{ role: 'user', parts: [{ text: 'Hi' }] }], systemInstruction: { parts: [{ text: 'Be brief.' }] } }
 */

export type GeminiGenerationConfig = Omit<GenerationConfig, 'thinkingConfig'> & {
  thinkingConfig?: { thinkingBudget?: number; thinkingLevel?: `${ThinkingLevel}`; includeThoughts?: boolean }
}

export interface GeminiBody {
  contents: Content[]
  systemInstruction?: Content
  generationConfig?: GeminiGenerationConfig
  tools?: { functionDeclarations: FunctionDeclaration[] }[]
  toolConfig?: { functionCallingConfig: { mode: 'AUTO' | 'ANY' | 'NONE'; allowedFunctionNames?: string[] } }
}

/** The argument a custom (freeform) tool's raw input travels in. */
export const CUSTOM_TOOL_INPUT = 'input'

/** reasoning effort for Gemini 2.5 (a thinking budget in tokens) and Gemini 3 (a thinking level). */
const BUDGETS: Record<string, number> = {
  none: 0,
  minimal: 512,
  low: 1024,
  medium: 8192,
  high: 24576,
  xhigh: 32768,
  max: 32768,
}
const LEVELS: Record<string, `${ThinkingLevel}`> = {
  none: 'MINIMAL',
  minimal: 'MINIMAL',
  low: 'LOW',
  medium: 'MEDIUM',
  high: 'HIGH',
  xhigh: 'HIGH',
  max: 'HIGH',
}
export const REASONING_EFFORTS = Object.keys(BUDGETS)

/** A tool's output as Gemini's `functionResponse.response` object. */
function toolResponse(output: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(output)
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>
  } catch {
    // Plain text: wrapped below.
  }
  return { content: output }
}

function callArgs(input: string, custom: boolean | undefined): Record<string, unknown> {
  if (custom) return { [CUSTOM_TOOL_INPUT]: input }
  try {
    const parsed: unknown = JSON.parse(input || '{}')
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>
  } catch {
    // Not JSON: the parser refuses such input; keep the text rather than fail here.
  }
  return { [CUSTOM_TOOL_INPUT]: input }
}

function partsOf(message: Message): Part[] {
  const parts: Part[] = []
  for (const part of message.parts) {
    switch (part.type) {
      case 'text':
        parts.push({ text: part.text })
        break
      case 'file':
        parts.push({ inlineData: { mimeType: part.mediaType, data: part.data } })
        break
      case 'reasoning':
        // Thoughts are never sent back; their signature is, in an empty part as Gemini sent it.
        if (part.signature) parts.push({ text: '', thoughtSignature: part.signature })
        break
      case 'tool-call':
        parts.push({
          functionCall: { name: part.name, args: callArgs(part.input, part.custom) },
          ...(part.signature ? { thoughtSignature: part.signature } : {}),
        })
        break
      case 'tool-result':
        parts.push({ functionResponse: { name: part.name, response: toolResponse(part.output) } })
        break
    }
  }
  return parts
}

function declaration(tool: Tool): FunctionDeclaration {
  const description = tool.description !== undefined ? { description: tool.description } : {}
  if (tool.type === 'custom') {
    return {
      name: tool.name,
      ...description,
      parametersJsonSchema: {
        type: 'object',
        properties: { [CUSTOM_TOOL_INPUT]: { type: 'string', description: 'The raw input for the tool.' } },
        required: [CUSTOM_TOOL_INPUT],
      },
    }
  }
  if (!tool.parameters) return { name: tool.name, ...description }
  // A root `$schema` (zod's JSON Schema output carries one) is not part of the schema Gemini takes.
  const { $schema: _dialect, ...parameters } = tool.parameters
  return { name: tool.name, ...description, parametersJsonSchema: parameters }
}

function toolConfig(choice: ToolChoice | undefined): GeminiBody['toolConfig'] {
  if (choice === undefined) return undefined
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } }
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } }
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } }
  if ('name' in choice) return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.name] } }
  // Gemini restricts names only in ANY mode: in AUTO the tools themselves are narrowed (see geminiBody).
  return choice.mode === 'required'
    ? { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: choice.allowed } }
    : { functionCallingConfig: { mode: 'AUTO' } }
}

function generationConfig(request: CanonicalRequest, model: string): GeminiGenerationConfig {
  const config: GeminiGenerationConfig = {}
  if (request.temperature !== undefined) config.temperature = request.temperature
  if (request.topP !== undefined) config.topP = request.topP
  if (request.maxOutputTokens !== undefined) config.maxOutputTokens = request.maxOutputTokens
  if (request.stop !== undefined) config.stopSequences = request.stop
  if (request.seed !== undefined) config.seed = request.seed
  if (request.presencePenalty !== undefined) config.presencePenalty = request.presencePenalty
  if (request.frequencyPenalty !== undefined) config.frequencyPenalty = request.frequencyPenalty
  if (request.responseFormat) {
    config.responseMimeType = 'application/json'
    if (request.responseFormat.schema) config.responseJsonSchema = request.responseFormat.schema
  }
  const effort = request.reasoningEffort
  if (effort !== undefined && BUDGETS[effort] !== undefined) {
    config.thinkingConfig = /^gemini-[3-9]/.test(model)
      ? { thinkingLevel: LEVELS[effort] }
      : { thinkingBudget: BUDGETS[effort] }
  }
  if (request.includeReasoning) config.thinkingConfig = { ...config.thinkingConfig, includeThoughts: true }
  return config
}

export function geminiBody(request: CanonicalRequest, model: string): GeminiBody {
  const contents: Content[] = []
  const system: Part[] = []
  for (const message of request.messages) {
    if (message.role === 'system') {
      system.push(...partsOf(message))
      continue
    }
    const role = message.role === 'assistant' ? 'model' : 'user'
    const parts = partsOf(message)
    if (parts.length === 0) {
      if (message.role !== 'user') continue
      parts.push({ text: '' })
    }
    const last = contents.at(-1)
    if (last?.role === role) last.parts?.push(...parts)
    else contents.push({ role, parts })
  }
  const body: GeminiBody = { contents }
  if (system.length > 0) body.systemInstruction = { parts: system }
  const config = generationConfig(request, model)
  if (Object.keys(config).length > 0) body.generationConfig = config
  const choice = request.toolChoice
  let tools = request.tools
  if (tools && typeof choice === 'object' && 'allowed' in choice && choice.mode === 'auto') {
    const allowed = new Set(choice.allowed)
    tools = tools.filter((tool) => allowed.has(tool.name))
  }
  if (tools && tools.length > 0) body.tools = [{ functionDeclarations: tools.map(declaration) }]
  const calling = toolConfig(choice)
  if (calling) body.toolConfig = calling
  return body
}
