import type { CanonicalRequest, Tool } from '../../canonical/request'

/**
 * Custom (freeform) tools on a provider that only has functions. The client's tool
 * `{"type":"custom","name":"apply_patch"}` takes raw text, so Gemini is given a function of the
 * same name with one string parameter, `input`. Its calls come back as `{"input":"…"}` JSON: the
 * renderer unwraps the text and shows a `custom_tool_call` whose `input` is that text, never JSON.
 * Earlier custom calls in the conversation go to Gemini wrapped the same way.
 *
 * @example
 * customToolNames(request)                          // Set { 'apply_patch' }
 * customToolAsFunction({ type: 'custom', name: 'apply_patch' })
 * // { type: 'function', name: 'apply_patch', parameters: { type: 'object', properties: { input: … }, required: ['input'] } }
 * wrapCustomInput('*** Begin Patch')               // '{"input":"*** Begin Patch"}'
 * unwrapCustomInput('{"input":"*** Begin Patch"}') // '*** Begin Patch'
 */

/** The one parameter of the function a custom tool is declared as. */
export const CUSTOM_INPUT = 'input'

/** The names of the request's custom tools: the calls a renderer must unwrap. */
export function customToolNames(request: Pick<CanonicalRequest, 'tools'>): Set<string> {
  const names = new Set<string>()
  for (const tool of request.tools ?? []) if (tool.type === 'custom') names.add(tool.name)
  return names
}

/** The function declaration that stands for a custom tool on a function-only provider. */
export function customToolAsFunction(tool: Extract<Tool, { type: 'custom' }>): Extract<Tool, { type: 'function' }> {
  return {
    type: 'function',
    name: tool.name,
    ...(tool.description ? { description: tool.description } : {}),
    parameters: {
      type: 'object',
      properties: {
        [CUSTOM_INPUT]: {
          type: 'string',
          description: 'The raw input text of this tool, exactly as the tool expects it.',
        },
      },
      required: [CUSTOM_INPUT],
    },
  }
}

/** An earlier custom call's raw input as the function arguments Gemini saw. */
export function wrapCustomInput(input: string): string {
  return JSON.stringify({ [CUSTOM_INPUT]: input })
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
  const input = fields[CUSTOM_INPUT]
  if (typeof input === 'string') return input
  if (input !== undefined) return JSON.stringify(input)
  const values = Object.values(fields)
  if (values.length === 0) return ''
  return values.length === 1 && typeof values[0] === 'string' ? values[0] : args
}
