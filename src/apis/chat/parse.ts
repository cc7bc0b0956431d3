import type { CanonicalRequest } from '../../canonical/request'
import type { ParamIssue } from '../../renderers/chat/errors'
import { parseMessages } from './parse-messages'
import { parseParams } from './parse-params'
import { parseTools } from './parse-tools'

/**
 * A chat completions body as a canonical request. OpenAI gets the body itself (`passthrough`);
 * what a translated (Gemini) request cannot honour is listed in `untranslatable`: a 400 when the
 * requested model is a Gemini one, a reason to skip Gemini fallbacks otherwise.
 *
 * @example
 * const parsed = parseChatBody({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }], stream: true })
 * if ('issues' in parsed) return invalidParams(parsed.issues)
 */

type Json = Record<string, unknown>

export interface ChatOptions {
  stream: boolean
  /** `stream_options.include_usage`: a usage chunk before `[DONE]`. */
  includeUsage: boolean
  /** The gateway's own `fallback` (default true): false never answers with a FALLBACK model. */
  fallback: boolean
}

export interface ParsedChat {
  request: CanonicalRequest
  options: ChatOptions
  untranslatable: ParamIssue[]
}

/** `stream`, `stream_options` and the gateway's own `fallback`. */
function checkOptions(body: Json): ParamIssue[] {
  const issues: ParamIssue[] = []
  if (body.fallback != null && typeof body.fallback !== 'boolean')
    issues.push({ param: 'fallback', message: 'must be a boolean (false: never answer with a FALLBACK model)' })
  if (body.stream != null && typeof body.stream !== 'boolean')
    issues.push({ param: 'stream', message: 'must be a boolean' })
  const options = body.stream_options
  if (options != null) {
    if (body.stream !== true) issues.push({ param: 'stream_options', message: "is only allowed when 'stream' is true" })
    else if (typeof options !== 'object' || Array.isArray(options))
      issues.push({ param: 'stream_options', message: 'must be an object' })
    else {
      const usage = (options as Json).include_usage
      if (usage != null && typeof usage !== 'boolean')
        issues.push({ param: 'stream_options.include_usage', message: 'must be a boolean' })
    }
  }
  return issues
}

export function parseChatBody(input: Json): ParsedChat | { issues: ParamIssue[] } {
  const issues = checkOptions(input)
  if (issues.length > 0) return { issues }
  // `fallback` is the gateway's: no provider gets it.
  const { fallback, ...body } = input
  const params = parseParams(body)
  const messages = parseMessages(body.messages)
  const tools = parseTools(body.tools, body.tool_choice)
  const request: CanonicalRequest = {
    messages: messages.messages,
    ...params.params,
    ...(tools.tools ? { tools: tools.tools } : {}),
    ...(tools.toolChoice !== undefined ? { toolChoice: tools.toolChoice } : {}),
    passthrough: { api: 'chat', body },
  }
  const stream = body.stream === true
  return {
    request,
    options: {
      stream,
      includeUsage: stream && (body.stream_options as Json | undefined)?.include_usage === true,
      fallback: fallback !== false,
    },
    untranslatable: [...params.issues, ...messages.issues, ...tools.issues],
  }
}
