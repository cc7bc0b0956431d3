import type { StreamHost } from '../../streams/host'
import { invalidParams } from '../../renderers/chat/errors'
import { responseIdOfItem } from '../../renderers/responses/ids'
import { isObject, type Json } from '../../renderers/responses/json'
import type { ParseContext } from './parse'
import { findResponse, previousResponseNotFound } from './stored'

/**
 * The earlier turns of a translated (Gemini) conversation, read from where the gateway kept them:
 * the `conversation` of `previous_response_id` (its input and output items, signatures included in
 * the call ids) becomes the parser's `history`, and the items named by `item_reference`s (the AI SDK
 * sends those for items of a stored response) its `storedItems`. OpenAI models need none of it:
 * OpenAI keeps its own.
 *
 * @example
 * const context = await loadHistory(host, body)
 * if (context instanceof Response) return context // 404 previous_response_not_found, …
 * const parsed = parseResponsesBody(body, context)
 */

function referencedIds(input: unknown): string[] {
  if (!Array.isArray(input)) return []
  return input.flatMap((item) =>
    isObject(item) && item.type === 'item_reference' && typeof item.id === 'string' ? [item.id] : [],
  )
}

/** The items named by `ids`, looked up in the responses their ids belong to. */
async function referencedItems(host: StreamHost, ids: string[], known: readonly unknown[]) {
  const wanted = new Set(ids)
  const items = new Map<string, unknown>()
  const take = (list: readonly unknown[] | undefined) => {
    for (const item of list ?? [])
      if (isObject(item) && wanted.has(item.id as string)) items.set(item.id as string, item)
  }
  take(known)
  const responses = new Set(ids.filter((id) => !items.has(id)).flatMap((id) => responseIdOfItem(id) ?? []))
  for (const found of await Promise.all([...responses].map((id) => findResponse(host, id)))) {
    take(found?.state.conversation)
    take(found?.state.response?.output as unknown[] | undefined)
  }
  return items
}

export async function loadHistory(host: StreamHost | undefined, body: Json): Promise<ParseContext | Response> {
  const context: ParseContext = {}
  const previous = body.previous_response_id
  const references = referencedIds(body.input)
  if ((typeof previous !== 'string' || previous === '') && references.length === 0) return context
  if (!host?.snapshot) {
    const param = typeof previous === 'string' ? 'previous_response_id' : 'input'
    return invalidParams([
      { param, message: 'needs the responses the gateway keeps, and resumable streams are off here (RESUMABLE=off)' },
    ])
  }
  if (typeof previous === 'string' && previous !== '') {
    const found = await findResponse(host, previous)
    if (found && !found.finished) {
      return invalidParams([
        { param: 'previous_response_id', message: `response '${previous}' is still in progress: wait until it ends` },
      ])
    }
    if (!found?.state.conversation) return previousResponseNotFound(previous)
    context.history = found.state.conversation
  }
  if (references.length > 0) context.storedItems = await referencedItems(host, references, context.history ?? [])
  return context
}

/**
 * This request's input as items, to keep with the answer: a string is one user message, and an
 * `item_reference` is replaced by the item it names (so the kept conversation stands on its own).
 */
export function inputItems(input: unknown, storedItems?: ReadonlyMap<string, unknown>): unknown[] {
  if (typeof input === 'string') {
    return [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }]
  }
  if (!Array.isArray(input)) return []
  return input.map((item) =>
    isObject(item) && item.type === 'item_reference' && typeof item.id === 'string'
      ? (storedItems?.get(item.id) ?? item)
      : item,
  )
}
