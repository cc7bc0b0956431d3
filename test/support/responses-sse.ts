/**
 * Strict reading of a Responses API stream, checking the rules clients depend on (RESPONSES.md
 * §4–§8): every block is `event: <type>\ndata: <one-line JSON>\n\n` with LF only and `event` equal
 * to `data.type`; `sequence_number` rises by 1 from the first event; the first event is
 * `response.created`; exactly one terminal event (`response.completed`, `.incomplete`, `.failed`),
 * and it is the last, with an `output` array; `output_item.added` takes the next `output_index`;
 * every item-scoped event's `item_id` is the id of the item at its `output_index`; item ids are
 * unique; `response.completed` has every opened item with the same id, type and `call_id`. Throws with a
 * precise message otherwise.
 *
 * @example
 * const events = readResponsesStream(body)      // [{ type: 'response.created', sequence_number: 0, … }, …]
 * events.map((event) => event.type)
 */

export type ResponsesEvent = { type: string; sequence_number: number; [key: string]: unknown }

const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed'])
type Item = { id: string; type: string; call_id?: string }

export function readResponsesStream(raw: string, options: { from?: number } = {}): ResponsesEvent[] {
  const fail = (why: string): never => {
    throw new Error(`bad Responses stream: ${why}\n--- raw (first 3000 chars) ---\n${raw.slice(0, 3000)}`)
  }
  if (raw.includes('\r')) fail('contains a CR')
  if (!raw.endsWith('\n\n')) fail('does not end with a blank line')
  const events: ResponsesEvent[] = []
  for (const block of raw.slice(0, -2).split('\n\n')) {
    const match = /^event: ([^\n]+)\ndata: ([^\n]+)$/.exec(block)
    if (!match) fail(`block is not "event: …\\ndata: …": ${JSON.stringify(block.slice(0, 200))}`)
    const data = JSON.parse(match![2]!) as ResponsesEvent
    if (data.type !== match![1]) fail(`event: ${match![1]} but data.type ${data.type}`)
    events.push(data)
  }
  const items: Item[] = []
  let terminal: ResponsesEvent | undefined
  events.forEach((event, index) => {
    const expected = (options.from ?? 0) + index
    if (event.sequence_number !== expected)
      fail(`event ${index} has sequence_number ${event.sequence_number}, not ${expected}`)
    if (index === 0 && options.from === undefined && event.type !== 'response.created')
      fail('the first event is not response.created')
    if (terminal) fail(`${event.type} after the terminal ${terminal.type}`)
    if (TERMINAL.has(event.type)) terminal = event
    if (event.type === 'response.output_item.added') {
      const item = event.item as Item
      if (event.output_index !== items.length)
        fail(`output_item.added at ${event.output_index}, expected ${items.length}`)
      if (items.some((other) => other.id === item.id)) fail(`duplicate item id ${item.id}`)
      items.push(item)
    } else if (typeof event.output_index === 'number') {
      const item = items[event.output_index]
      if (!item) fail(`${event.type} for missing output_index ${event.output_index}`)
      const id = event.type === 'response.output_item.done' ? (event.item as Item).id : event.item_id
      if (id !== item!.id)
        fail(`${event.type} names item ${String(id)}, the item at ${event.output_index} is ${item!.id}`)
    }
  })
  if (!terminal) fail('no terminal event')
  const output = (terminal!.response as { output: unknown }).output
  if (!Array.isArray(output)) fail(`${terminal!.type} has no output array`)
  if (terminal!.type === 'response.completed') {
    for (const item of items) {
      const final = (output as Item[]).find((candidate) => candidate.id === item.id)
      if (!final || final.type !== item.type || final.call_id !== item.call_id) {
        fail(`item ${item.id} is not in the completed output as it was opened`)
      }
    }
  }
  return events
}
