import type { CanonicalRequest } from '../../canonical/request'
import { CUSTOM_TOOL_INPUT } from '../../providers/gemini/request'

/**
 * Custom (freeform) tools on Gemini, which only has functions: the tool is declared as a function
 * with one string parameter, `input` (providers/gemini/request.ts), so its calls come back as
 * `{"input":"…"}` JSON. The renderer unwraps the text and shows a `custom_tool_call` whose `input`
 * is that text, never JSON.
 *
 * @example
 * customToolNames(request)                          // Set { 'apply_patch' }
 * unwrapCustomInput('{"input":"*** Begin Patch"}') // '*** Begin Patch'
 */

/** The names of the request's custom tools: the calls a renderer must unwrap. */
export function customToolNames(request: Pick<CanonicalRequest, 'tools'>): Set<string> {
  const names = new Set<string>()
  for (const tool of request.tools ?? []) if (tool.type === 'custom') names.add(tool.name)
  return names
}

/**
 * A custom call's raw text from the function arguments it came as. A model that named the
 * parameter differently still gets its only string through; text that is not a JSON object is
 * already raw.
 */
export function unwrapCustomInput(args: string): string {
  let parsed: unknown
  try {
    parsed = JSON.parse(args)
  } catch {
    return args
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return args
  const fields = parsed as Record<string, unknown>
  const input = fields[CUSTOM_TOOL_INPUT]
  if (typeof input === 'string') return input
  if (input !== undefined) return JSON.stringify(input)
  const values = Object.values(fields)
  if (values.length === 0) return ''
  return values.length === 1 && typeof values[0] === 'string' ? values[0] : args
}
