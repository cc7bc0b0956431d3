import type { Tool, ToolChoice } from '../../canonical/request'
import type { ParamIssue } from '../../renderers/chat/errors'
import { given, isObject, type Json } from '../../renderers/responses/json'

/**
 * Responses `tools` and `tool_choice` in canonical terms. Function tools are flat
 * (`{"type":"function","name","parameters","strict"}`); custom (freeform) tools keep their raw-text
 * input, their grammar told to the model in the description. OpenAI's hosted tools (`web_search`,
 * `file_search`, `namespace`, …) have no Gemini counterpart: they are dropped, the request is still
 * served, and their types are returned for the log line. A `tool_choice` that forces a dropped or
 * unknown tool is an issue.
 *
 * @example
 * readTools([{ type: 'function', name: 'now', parameters: { type: 'object' } }, { type: 'web_search' }], 'required')
 * // { tools: [{ type: 'function', name: 'now', parameters: { type: 'object' } }], toolChoice: 'required',
 * //   served: [{ type: 'function', name: 'now', … }], dropped: ['web_search'], issues: [] }
 */

export interface ReadTools {
  tools: Tool[]
  toolChoice?: ToolChoice
  /** The client's tool objects that are served, as they came (the response echoes them). */
  served: Json[]
  /** Types of the tools dropped. */
  dropped: string[]
  issues: ParamIssue[]
}

/** The grammar of a custom tool, told to a model that has no grammar-constrained decoding. */
function grammarNote(format: unknown): string {
  if (!isObject(format) || format.type !== 'grammar' || typeof format.definition !== 'string') return ''
  const syntax = format.syntax === 'regex' ? 'regular expression' : 'Lark grammar'
  return `\n\nThe input must match this ${syntax}:\n${format.definition}`
}

function readTool(tool: unknown, at: string, out: ReadTools): void {
  if (!isObject(tool) || typeof tool.type !== 'string') {
    out.issues.push({ param: at, message: 'must be a tool object with a "type"' })
    return
  }
  if (tool.type !== 'function' && tool.type !== 'custom') {
    if (!out.dropped.includes(tool.type)) out.dropped.push(tool.type)
    return
  }
  if (typeof tool.name !== 'string' || tool.name === '') {
    out.issues.push({ param: `${at}.name`, message: 'must be a non-empty string' })
    return
  }
  const description = typeof tool.description === 'string' && tool.description !== '' ? tool.description : undefined
  if (tool.type === 'function') {
    if (given(tool.parameters) && !isObject(tool.parameters)) {
      out.issues.push({ param: `${at}.parameters`, message: 'must be a JSON Schema object' })
      return
    }
    out.tools.push({
      type: 'function',
      name: tool.name,
      ...(description ? { description } : {}),
      ...(isObject(tool.parameters) ? { parameters: tool.parameters } : {}),
    })
  } else {
    const note = grammarNote(tool.format)
    const text = `${description ?? ''}${note}`.trim()
    out.tools.push({ type: 'custom', name: tool.name, ...(text ? { description: text } : {}) })
  }
  out.served.push(tool)
}

const CHOICES = 'must be "none", "auto", "required", {"type":"function"|"custom","name"} or {"type":"allowed_tools",…}'

function readChoice(choice: unknown, out: ReadTools): ToolChoice | undefined {
  const declared = new Set(out.tools.map((tool) => tool.name))
  const fail = (message: string) => {
    out.issues.push({ param: 'tool_choice', message })
    return undefined
  }
  if (choice === 'auto' || choice === 'none') return choice
  if (choice === 'required') return declared.size > 0 ? choice : fail('"required" needs a function or custom tool')
  if (!isObject(choice) || typeof choice.type !== 'string') return fail(CHOICES)
  if (choice.type === 'function' || choice.type === 'custom') {
    if (typeof choice.name === 'string' && declared.has(choice.name)) return { name: choice.name }
    return fail(`names a ${choice.type} tool that is not in tools (${JSON.stringify(choice.name)})`)
  }
  if (choice.type === 'allowed_tools') {
    const mode = choice.mode
    const listed = Array.isArray(choice.tools) ? choice.tools : []
    const allowed = listed.flatMap((tool) =>
      isObject(tool) && typeof tool.name === 'string' && declared.has(tool.name) ? [tool.name] : [],
    )
    if ((mode !== 'auto' && mode !== 'required') || allowed.length === 0) {
      return fail('allowed_tools needs "mode" auto or required and at least one function or custom tool from tools')
    }
    return { allowed, mode }
  }
  return fail(`unsupported for Gemini: the hosted tool ${JSON.stringify(choice.type)} cannot be forced (it is dropped)`)
}

export function readTools(tools: unknown, choice: unknown): ReadTools {
  const out: ReadTools = { tools: [], served: [], dropped: [], issues: [] }
  if (given(tools)) {
    if (Array.isArray(tools)) for (const [index, tool] of tools.entries()) readTool(tool, `tools[${index}]`, out)
    else out.issues.push({ param: 'tools', message: 'must be an array of tools' })
  }
  if (given(choice)) {
    const toolChoice = readChoice(choice, out)
    if (toolChoice !== undefined) out.toolChoice = toolChoice
  }
  return out
}
