import type { Tool, ToolChoice } from '../../canonical/request'
import type { ParamIssue } from '../../renderers/chat/errors'

/**
 * OpenAI `tools` and `tool_choice` as canonical tools and tool choice (function tools only).
 *
 * @example
 * parseTools([{ type: 'function', function: { name: 'now', parameters: { type: 'object' } } }], 'required')
 * // { tools: [{ type: 'function', name: 'now', parameters: { type: 'object' } }], toolChoice: 'required', issues: [] }
 */

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

function functions(tools: unknown, issues: ParamIssue[]): Tool[] {
  if (!Array.isArray(tools)) {
    issues.push({ param: 'tools', message: 'must be an array of tools' })
    return []
  }
  const out: Tool[] = []
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
      type: 'function',
      name: fn.name,
      ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
      ...(isObject(fn.parameters) ? { parameters: fn.parameters } : {}),
    })
  })
  return out
}

/** The function names an `allowed_tools` choice refers to. */
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

function choiceOf(choice: unknown, issues: ParamIssue[]): ToolChoice | undefined {
  if (choice === undefined || choice === null) return undefined
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice
  if (
    isObject(choice) &&
    choice.type === 'function' &&
    isObject(choice.function) &&
    typeof choice.function.name === 'string'
  )
    return { name: choice.function.name }
  if (isObject(choice) && choice.type === 'allowed_tools' && isObject(choice.allowed_tools)) {
    const names = namesOf(choice.allowed_tools.tools)
    const mode = choice.allowed_tools.mode
    if (names && (mode === 'required' || mode === 'auto')) return { allowed: names, mode }
  }
  issues.push({
    param: 'tool_choice',
    message:
      'must be "none", "auto", "required", a function {"type":"function","function":{"name"}} or allowed_tools of functions',
  })
  return undefined
}

export function parseTools(
  tools: unknown,
  choice: unknown,
): { tools?: Tool[]; toolChoice?: ToolChoice; issues: ParamIssue[] } {
  const issues: ParamIssue[] = []
  if (tools === undefined || tools === null) {
    if (choice !== undefined && choice !== null && choice !== 'none' && choice !== 'auto') {
      issues.push({ param: 'tool_choice', message: 'needs tools' })
    }
    return { issues }
  }
  const declared = functions(tools, issues)
  const toolChoice = choiceOf(choice, issues)
  return {
    ...(declared.length > 0 ? { tools: declared } : {}),
    ...(toolChoice !== undefined ? { toolChoice } : {}),
    issues,
  }
}
