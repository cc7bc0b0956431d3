/**
 * Gemini function calling in the emulator. With the control `call=NAME` (e.g. a prompt tag
 * `[emu call=get_weather]`) and a request that declares that function, the model answers with one
 * `functionCall` part (signed with a `thoughtSignature`, as thinking models do) and
 * `finishReason: "STOP"`. When the last turn holds the function's result (`functionResponse`),
 * the model answers in text, to the prompt `toolResultPrompt(name, response)`.
 *
 * @example
 * expectedFunctionCall('Weather in Hà Nội? [emu call=get_weather]', 'get_weather')
 * // { name: 'get_weather', args: { query: 'Weather in Hà Nội?' } }
 * expectedAnswer(toolResultPrompt('get_weather', { temp: 31 }), { provider: 'gemini' })  // the answer after the result
 */
import { geminiErrors, type ErrorReply } from './errors.ts'
import { isObject } from './format.ts'
import { stripTags } from './scenario.ts'

export function expectedFunctionCall(prompt: string, name: string): { name: string; args: { query: string } } {
  return { name, args: { query: stripTags(prompt) } }
}

/** The prompt the emulator answers after a function result: `Result of NAME: <compact JSON>`. */
export function toolResultPrompt(name: string, response: unknown): string {
  return `Result of ${name}: ${JSON.stringify(response)}`
}

/** The signature the emulator puts on its function calls (base64, like the real opaque ones). */
export function emulatorSignature(name: string): string {
  return Buffer.from(`emu-thought-signature:${name}`).toString('base64')
}

/** The text of one part for the prompt: its text, or its function result. Thought parts count for nothing. */
export function partPrompt(part: unknown): string {
  if (!isObject(part) || part.thought === true) return ''
  if (typeof part.text === 'string') return part.text
  const result = part.functionResponse
  if (isObject(result) && typeof result.name === 'string') return toolResultPrompt(result.name, result.response)
  return ''
}

export function hasFunctionResponse(content: Record<string, unknown> | undefined): boolean {
  return (
    Array.isArray(content?.parts) && content.parts.some((part) => isObject(part) && part.functionResponse !== undefined)
  )
}

/** The function the model calls for this request, if any: declared, allowed, and not already answered. */
export function functionToCall(
  body: Record<string, unknown>,
  name: string | undefined,
  contents: Record<string, unknown>[],
): string | undefined {
  if (!name || hasFunctionResponse(contents.at(-1))) return undefined
  const config =
    isObject(body.toolConfig) && isObject(body.toolConfig.functionCallingConfig)
      ? body.toolConfig.functionCallingConfig
      : {}
  if (config.mode === 'NONE') return undefined
  if (Array.isArray(config.allowedFunctionNames) && !config.allowedFunctionNames.includes(name)) return undefined
  const tools = Array.isArray(body.tools) ? body.tools : []
  const declared = tools.flatMap((tool) =>
    isObject(tool) && Array.isArray(tool.functionDeclarations) ? tool.functionDeclarations : [],
  )
  return declared.some((declaration) => isObject(declaration) && declaration.name === name) ? name : undefined
}

/**
 * Gemini 3 rejects a conversation whose model turns hold a function call without its thought
 * signature (https://ai.google.dev/gemini-api/docs/thought-signatures); 2.x models accept it.
 */
export function missingSignature(contents: Record<string, unknown>[], model: string): ErrorReply | undefined {
  if (!/^gemini-3/.test(model)) return undefined
  for (const [index, content] of contents.entries()) {
    if (content.role !== 'model' || !Array.isArray(content.parts)) continue
    for (const part of content.parts) {
      if (isObject(part) && isObject(part.functionCall) && typeof part.thoughtSignature !== 'string') {
        return geminiErrors.badRequest(
          `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${String(part.functionCall.name)}\` , position ${index + 1}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.`,
        )
      }
    }
  }
  return undefined
}
