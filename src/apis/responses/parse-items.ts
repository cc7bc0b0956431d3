import type { ParamIssue } from '../../renderers/chat/errors'
import { splitToolCallId } from '../../renderers/chat/tool-call-id'
import type { Conversation } from './conversation'
import { isObject, type Json } from '../../renderers/responses/json'
import { contentParts, textOnly } from './parse-content'
import { reasoningSignature } from './signatures'

/**
 * Responses input items into a {@link Conversation}: `message` (user, assistant, system,
 * developer), `function_call` / `function_call_output`, `custom_tool_call` /
 * `custom_tool_call_output`, `reasoning` (its summary as text, a Gemini signature from
 * `encrypted_content`), and `item_reference` to a stored item. Items of OpenAI's hosted tools
 * (`web_search_call`, …) from earlier turns carry nothing Gemini can use: they are skipped and
 * their types reported. Items need no `id` (Codex sends none).
 *
 * @example
 * readItems([{ role: 'user', content: 'Capital of PotatoLand?' },
 *   { type: 'function_call', call_id: 'call_1', name: 'get_capital', arguments: '{"country":"PotatoLand"}' },
 *   { type: 'function_call_output', call_id: 'call_1', output: 'Potato City' }], 'input', context)
 * // context.conversation.messages: user, assistant (tool-call), tool (tool-result)
 */

export interface ItemContext {
  conversation: Conversation
  issues: ParamIssue[]
  /** Stored items by id, for `item_reference`. */
  storedItems?: ReadonlyMap<string, unknown>
  /** Types of the items skipped. */
  skipped: Set<string>
}

const MESSAGE_ROLES = '"user", "assistant", "system" or "developer"'

function message(item: Json, at: string, context: ItemContext): void {
  const { conversation, issues } = context
  switch (item.role) {
    case 'user':
      conversation.user(contentParts(item.content, `${at}.content`, issues, true))
      return
    case 'system':
    case 'developer':
      conversation.system(textOnly(item.content, `${at}.content`, issues))
      return
    case 'assistant': {
      const text = textOnly(item.content, `${at}.content`, issues)
      if (text !== '') conversation.assistant([{ type: 'text', text }])
      return
    }
    default:
      issues.push({ param: `${at}.role`, message: `must be ${MESSAGE_ROLES} (got ${JSON.stringify(item.role)})` })
  }
}

function requireString(item: Json, key: string, at: string, issues: ParamIssue[]): string | undefined {
  const value = item[key]
  if (typeof value === 'string' && value !== '') return value
  issues.push({ param: `${at}.${key}`, message: 'must be a non-empty string' })
  return undefined
}

function functionCall(item: Json, at: string, { conversation, issues }: ItemContext): void {
  const callId = requireString(item, 'call_id', at, issues)
  const name = requireString(item, 'name', at, issues)
  const args = typeof item.arguments === 'string' && item.arguments !== '' ? item.arguments : '{}'
  let parsed: unknown
  try {
    parsed = JSON.parse(args)
  } catch {
    parsed = undefined
  }
  if (!isObject(parsed)) issues.push({ param: `${at}.arguments`, message: 'must be a JSON object in a string' })
  if (callId === undefined || name === undefined || !isObject(parsed)) return
  const { id, signature } = splitToolCallId(callId)
  conversation.call({ type: 'tool-call', id, name, input: args, ...(signature ? { signature } : {}) })
}

function customCall(item: Json, at: string, { conversation, issues }: ItemContext): void {
  const callId = requireString(item, 'call_id', at, issues)
  const name = requireString(item, 'name', at, issues)
  if (typeof item.input !== 'string') issues.push({ param: `${at}.input`, message: 'must be a string' })
  if (callId === undefined || name === undefined || typeof item.input !== 'string') return
  const { id, signature } = splitToolCallId(callId)
  conversation.call({
    type: 'tool-call',
    id,
    name,
    input: item.input,
    custom: true,
    ...(signature ? { signature } : {}),
  })
}

function callOutput(item: Json, at: string, { conversation, issues }: ItemContext): void {
  const callId = requireString(item, 'call_id', at, issues)
  const output = textOnly(item.output, `${at}.output`, issues)
  if (callId === undefined) return
  const { id } = splitToolCallId(callId)
  const name = conversation.nameOf(id)
  if (name === undefined) {
    issues.push({
      param: `${at}.call_id`,
      message: `must be the call_id of a ${item.type === 'custom_tool_call_output' ? 'custom_tool_call' : 'function_call'} earlier in the input (or in the previous response)`,
    })
    return
  }
  conversation.result({ type: 'tool-result', id, name, output })
}

/** A reasoning item's readable text: its summary parts, or its raw reasoning text. */
function reasoningText(item: Json): string {
  const pieces = (list: unknown, type: string) =>
    Array.isArray(list)
      ? list.filter((part) => isObject(part) && part.type === type && typeof part.text === 'string')
      : []
  const summary = pieces(item.summary, 'summary_text')
  const parts = summary.length > 0 ? summary : pieces(item.content, 'reasoning_text')
  return parts.map((part) => (part as { text: string }).text).join('\n\n')
}

function reasoning(item: Json, { conversation }: ItemContext): void {
  const signature = reasoningSignature(item.encrypted_content)
  const text = reasoningText(item)
  if (text === '' && !signature) return
  conversation.assistant([{ type: 'reasoning', text, ...(signature ? { signature } : {}) }])
}

/** One input item; `reference` is true for an item reached through an `item_reference`. */
function readItem(item: unknown, at: string, context: ItemContext, reference = false): void {
  if (!isObject(item)) {
    context.issues.push({ param: at, message: 'must be an input item object' })
    return
  }
  const type = item.type ?? 'message'
  switch (type) {
    case 'message':
      return message(item, at, context)
    case 'function_call':
      return functionCall(item, at, context)
    case 'custom_tool_call':
      return customCall(item, at, context)
    case 'function_call_output':
    case 'custom_tool_call_output':
      return callOutput(item, at, context)
    case 'reasoning':
      return reasoning(item, context)
    case 'item_reference': {
      const stored = typeof item.id === 'string' ? context.storedItems?.get(item.id) : undefined
      if (stored !== undefined && !reference) return readItem(stored, at, context, true)
      context.issues.push({
        param: `${at}.id`,
        message: 'unknown item: a reference needs an item the gateway stored (send the item itself instead)',
      })
      return
    }
    default:
      if (typeof type === 'string' && /_call(_output)?$|^mcp_/.test(type)) {
        context.skipped.add(type)
        return
      }
      context.issues.push({
        param: `${at}.type`,
        message: `unsupported input item type ${JSON.stringify(type)}: use message, function_call, function_call_output, custom_tool_call, custom_tool_call_output or reasoning`,
      })
  }
}

/** Reads `items`, naming each in issues as `${at}[index]`. */
export function readItems(items: readonly unknown[], at: string, context: ItemContext): void {
  items.forEach((item, index) => {
    readItem(item, `${at}[${index}]`, context)
  })
}
