import type { CanonicalRequest } from '../../canonical/request'
import type { ParamIssue } from '../../renderers/chat/errors'
import { Conversation } from './conversation'
import { customToolNames } from '../../renderers/responses/custom-tools'
import { echoOf, type ResponseEcho } from '../../renderers/responses/echo'
import { given, isObject } from '../../renderers/responses/json'
import { readItems, type ItemContext } from './parse-items'
import { readParams } from './parse-params'
import { readTools } from './parse-tools'

/**
 * A `POST /v1/responses` body as a {@link CanonicalRequest} plus what the route needs to know
 * (stream, background, store, the previous response, dropped tools, …). The client's body rides
 * along as `passthrough`, so an OpenAI target relays it as it is.
 *
 * Two kinds of problems: `issues` make the body unusable for any target (the route answers 400
 * with `invalidParams(issues)`); `untranslatable` lists what a translated provider (Gemini) cannot
 * honour, to answer 400 with only when the request goes to one (OpenAI validates its own).
 *
 * For `previous_response_id`, the route passes the stored items of the earlier turns as
 * `history` (input items then output items, as stored); `storedItems` resolves `item_reference`s.
 * `fallback` is the gateway's own, as on chat completions: no provider gets it.
 *
 * @example
 * const parsed = parseResponsesBody(await c.req.json())
 * if ('issues' in parsed) return invalidParams(parsed.issues)
 * if (target.provider !== 'openai' && parsed.untranslatable.length > 0) return invalidParams(parsed.untranslatable)
 * const renderer = createResponsesStreamRenderer(writer, record, { ...parsed.options, model })
 */

export interface ResponsesOptions {
  /** The `model` the client named, if any. */
  model?: string
  stream: boolean
  /** The gateway's own `fallback` (default true): false never answers with a FALLBACK model. */
  fallback: boolean
  background: boolean
  /** `store` (default true): keep the response for `previous_response_id` and `GET`. */
  store: boolean
  previousResponseId?: string
  include: string[]
  /** A reasoning summary was asked for: the model's thoughts are shown as summary events. */
  reasoningSummary: boolean
  /** `parallel_tool_calls` (default true). Gemini may call several functions at once regardless. */
  parallelToolCalls: boolean
  /** Types of the hosted tools dropped, for the log line. */
  droppedTools: string[]
  /** Types of earlier hosted-tool items skipped in the input, for the log line. */
  skippedItems: string[]
  /** Names of the custom (freeform) tools, whose calls the renderer unwraps. */
  customTools: string[]
  /** The settings the Response object repeats. */
  echo: ResponseEcho
}

export interface ParseContext {
  /** The stored input and output items of the previous response(s), in order, read before `input`. */
  history?: readonly unknown[]
  /** Stored items by id, for `item_reference` input items. */
  storedItems?: ReadonlyMap<string, unknown>
}

export interface ParsedResponses {
  request: CanonicalRequest
  options: ResponsesOptions
  untranslatable: ParamIssue[]
}

/** The fields the gateway itself relies on, whatever the target. */
function gatewayIssues(body: Record<string, unknown>): ParamIssue[] {
  const issues: ParamIssue[] = []
  for (const key of ['stream', 'background', 'store', 'fallback']) {
    if (given(body[key]) && typeof body[key] !== 'boolean') issues.push({ param: key, message: 'must be a boolean' })
  }
  for (const key of ['model', 'previous_response_id']) {
    if (given(body[key]) && (typeof body[key] !== 'string' || body[key] === '')) {
      issues.push({ param: key, message: 'must be a non-empty string' })
    }
  }
  return issues
}

function readInput(body: Record<string, unknown>, history: readonly unknown[], context: ItemContext): void {
  const { conversation, issues } = context
  if (given(body.instructions)) {
    if (typeof body.instructions === 'string') conversation.system(body.instructions)
    else issues.push({ param: 'instructions', message: 'must be a string' })
  }
  readItems(history, 'previous_response_id', context)
  const input = body.input
  if (typeof input === 'string') conversation.user([{ type: 'text', text: input }])
  else if (Array.isArray(input)) readItems(input, 'input', context)
  else if (given(input)) issues.push({ param: 'input', message: 'must be a string or an array of input items' })
  if (!conversation.messages.some((message) => message.role !== 'system') && issues.length === 0) {
    issues.push({ param: 'input', message: 'must hold at least one message or item' })
  }
}

export function parseResponsesBody(
  input: unknown,
  context: ParseContext = {},
): ParsedResponses | { issues: ParamIssue[] } {
  if (!isObject(input)) return { issues: [{ param: 'body', message: 'must be a JSON object' }] }
  const fatal = gatewayIssues(input)
  if (fatal.length > 0) return { issues: fatal }
  const { fallback, ...body } = input

  const items: ItemContext = {
    conversation: new Conversation(),
    issues: [],
    skipped: new Set(),
    ...(context.storedItems ? { storedItems: context.storedItems } : {}),
  }
  readInput(body, context.history ?? [], items)
  const tools = readTools(body.tools, body.tool_choice)
  const params = readParams(body)
  const request: CanonicalRequest = {
    messages: items.conversation.messages,
    ...params.fields,
    ...(tools.tools.length > 0 ? { tools: tools.tools } : {}),
    ...(tools.toolChoice !== undefined ? { toolChoice: tools.toolChoice } : {}),
    passthrough: { api: 'responses', body },
  }
  const options: ResponsesOptions = {
    ...(typeof body.model === 'string' ? { model: body.model } : {}),
    stream: body.stream === true,
    fallback: fallback !== false,
    background: body.background === true,
    store: body.store !== false,
    ...(typeof body.previous_response_id === 'string' ? { previousResponseId: body.previous_response_id } : {}),
    include: Array.isArray(body.include) ? body.include.filter((item) => typeof item === 'string') : [],
    reasoningSummary: params.fields.includeReasoning === true,
    parallelToolCalls: body.parallel_tool_calls !== false,
    droppedTools: tools.dropped,
    skippedItems: [...items.skipped],
    customTools: [...customToolNames(request)],
    echo: echoOf(body, tools.served),
  }
  return { request, options, untranslatable: [...items.issues, ...tools.issues, ...params.issues] }
}
