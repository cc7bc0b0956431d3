import type { FunctionCallingConfigMode, FunctionDeclaration } from '@google/genai'
import type { ParamIssue } from './errors'

/**
 * OpenAI `tools` and `tool_choice` to Gemini `tools[].functionDeclarations` and
 * `toolConfig.functionCallingConfig`. A function's JSON Schema goes as `parametersJsonSchema`.
 *
 * @example
 * toGeminiTools([{ type: 'function', function: { name: 'now', parameters: { type: 'object' } } }], 'required')
 * // { tools: [{ functionDeclarations: [{ name: 'now', parametersJsonSchema: { type: 'object' } }] }],
 * //   toolConfig: { functionCallingConfig: { mode: 'ANY' } }, issues: [] }
 */

export interface GeminiToolConfig {
  functionCallingConfig: { mode: `${FunctionCallingConfigMode}`; allowedFunctionNames?: string[] }
}

export interface GeminiTools {
  tools?: { functionDeclarations: FunctionDeclaration[] }[]
  toolConfig?: GeminiToolConfig
  issues: ParamIssue[]
}

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

function declarations(tools: unknown, issues: ParamIssue[]): FunctionDeclaration[] {
  if (!Array.isArray(tools)) {
    issues.push({ param: 'tools', message: 'must be an array of tools' })
    return []
  }
  const out: FunctionDeclaration[] = []
  tools.forEach((tool, index) => {
    const fn = isObject(tool) && tool.type === 'function' && isObject(tool.function) ? tool.function : undefined
    if (!fn || typeof fn.name !== 'string' || fn.name === '') {
      issues.push({
        param: `tools[${index}]`,
        message:
          isObject(tool) && tool.type !== 'function'
            ? `unsupported tool type for Gemini (${JSON.stringify(tool.type)}): only "function" tools`
            : 'must be {"type":"function","function":{"name",…}}',
      })
      return
    }
    out.push({
      name: fn.name,
      ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
      ...(isObject(fn.parameters) ? { parametersJsonSchema: fn.parameters } : {}),
    })
  })
  return out
}

/** The function names an `allowed_tools` or named choice refers to. */
function namesOf(tools: unknown): string[] | undefined {
  if (!Array.isArray(tools)) return undefined
  const names: string[] = []
  for (const tool of tools) {
    if (
      !isObject(tool) ||
      tool.type !== 'function' ||
      !isObject(tool.function) ||
      typeof tool.function.name !== 'string'
    )
      return undefined
    names.push(tool.function.name)
  }
  return names
}

function callingConfig(
  choice: unknown,
  declared: FunctionDeclaration[],
  issues: ParamIssue[],
): GeminiToolConfig | undefined {
  if (choice === undefined || choice === null) return undefined
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } }
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } }
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } }
  if (
    isObject(choice) &&
    choice.type === 'function' &&
    isObject(choice.function) &&
    typeof choice.function.name === 'string'
  ) {
    return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } }
  }
  if (isObject(choice) && choice.type === 'allowed_tools' && isObject(choice.allowed_tools)) {
    const names = namesOf(choice.allowed_tools.tools)
    const mode = choice.allowed_tools.mode
    if (names && mode === 'required') return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: names } }
    if (names && mode === 'auto') {
      // Gemini restricts names only in ANY mode: in AUTO, declare only the allowed functions.
      const allowed = new Set(names)
      const kept = declared.filter((declaration) => allowed.has(declaration.name ?? ''))
      declared.splice(0, declared.length, ...kept)
      return { functionCallingConfig: { mode: 'AUTO' } }
    }
  }
  issues.push({
    param: 'tool_choice',
    message:
      'must be "none", "auto", "required", a function {"type":"function","function":{"name"}} or allowed_tools of functions',
  })
  return undefined
}

export function toGeminiTools(tools: unknown, choice: unknown): GeminiTools {
  const issues: ParamIssue[] = []
  if (tools === undefined || tools === null) {
    if (choice !== undefined && choice !== null && choice !== 'none' && choice !== 'auto') {
      issues.push({ param: 'tool_choice', message: 'needs tools' })
    }
    return { issues }
  }
  const declared = declarations(tools, issues)
  const toolConfig = callingConfig(choice, declared, issues)
  return {
    ...(declared.length > 0 ? { tools: [{ functionDeclarations: declared }] } : {}),
    ...(toolConfig ? { toolConfig } : {}),
    issues,
  }
}
