import type { ToolCallStart } from '../../canonical/parts'
import { wireToolCallId } from '../chat/tool-call-id'
import { unwrapCustomInput } from './custom-tools'
import { itemId } from './ids'
import type { Json } from './json'

/**
 * The `output` items of a response, built from canonical parts, and the item events that go with
 * them (`output_item.added` … `output_item.done`, content part, text, argument, custom-input and
 * reasoning-summary events). The streaming renderer writes the events; the whole renderer ignores
 * them and keeps the items. State is kept per item (`output_index`), never as one "current item".
 *
 * Custom tools: Gemini calls them as functions with one string parameter `input`; their input is
 * unwrapped at the end of the call and sent as one `custom_tool_call_input.delta`, never as JSON.
 *
 * @example
 * const output = new ResponseOutput('resp_…', (type, data) => send(type, data), { summary: false, customTools: new Set() })
 * output.text('Hi')     // output_item.added, content_part.added, output_text.delta
 * output.closeAll('completed')
 * output.items          // [{ id: 'msg_…', type: 'message', status: 'completed', content: [{ type: 'output_text', … }], role: 'assistant' }]
 */

export type Emit = (type: string, data: Json) => void

export interface OutputOptions {
  /** Show the model's reasoning as a summary (`reasoning.summary` was asked). */
  summary: boolean
  /** Names of the custom tools. */
  customTools: ReadonlySet<string>
}

export type ItemStatus = 'completed' | 'incomplete'

interface Entry {
  index: number
  item: Json
  kind: 'message' | 'reasoning' | 'function' | 'custom'
  /** The text, summary, arguments or input so far. */
  text: string
}

const NO_LOGPROBS: readonly never[] = []

export class ResponseOutput {
  readonly items: Json[] = []
  /** The open message or reasoning item. */
  private block: Entry | undefined
  /** Open calls by the answer's call index. */
  private readonly calls = new Map<number, Entry>()

  private readonly responseId: string
  private readonly emit: Emit
  private readonly options: OutputOptions

  constructor(responseId: string, emit: Emit, options: OutputOptions) {
    this.responseId = responseId
    this.emit = emit
    this.options = options
  }

  text(delta: string): void {
    if (delta === '') return
    const entry = this.block?.kind === 'message' ? this.block : this.open('message')
    entry.text += delta
    this.emit('response.output_text.delta', {
      item_id: entry.item.id,
      output_index: entry.index,
      content_index: 0,
      delta,
      logprobs: NO_LOGPROBS,
    })
  }

  /** Reasoning is shown only when a summary was asked; otherwise it is dropped. */
  reasoning(delta: string): void {
    if (!this.options.summary || delta === '') return
    const entry = this.block?.kind === 'reasoning' ? this.block : this.open('reasoning')
    entry.text += delta
    this.emit('response.reasoning_summary_text.delta', {
      item_id: entry.item.id,
      output_index: entry.index,
      summary_index: 0,
      delta,
    })
  }

  toolCallStart(call: ToolCallStart): void {
    this.closeBlock('completed')
    const previous = this.calls.get(call.index)
    if (previous) this.finishCall(previous, 'completed')
    const custom = this.options.customTools.has(call.name)
    const index = this.items.length
    const id = itemId(this.responseId, custom ? 'ctc' : 'fc', index)
    const callId = wireToolCallId(call.id, call.signature)
    const item: Json = custom
      ? { id, type: 'custom_tool_call', status: 'in_progress', call_id: callId, input: '', name: call.name }
      : { id, type: 'function_call', status: 'in_progress', arguments: '', call_id: callId, name: call.name }
    this.items.push(item)
    this.calls.set(call.index, { index, item, kind: custom ? 'custom' : 'function', text: '' })
    this.emit('response.output_item.added', { output_index: index, item })
  }

  toolCallDelta(callIndex: number, delta: string): void {
    const entry = this.calls.get(callIndex)
    if (!entry || delta === '') return
    entry.text += delta
    if (entry.kind === 'function') {
      this.emit('response.function_call_arguments.delta', { item_id: entry.item.id, output_index: entry.index, delta })
    }
  }

  toolCallEnd(callIndex: number): void {
    const entry = this.calls.get(callIndex)
    if (!entry) return
    this.calls.delete(callIndex)
    this.finishCall(entry, 'completed')
  }

  /**
   * The items as they stand, for a snapshot of a running response: the open message or reasoning
   * item with its text so far, open calls with their input so far (copies; the items themselves
   * change only when they close).
   */
  current(): Json[] {
    const open = new Map<Json, Entry>()
    if (this.block) open.set(this.block.item, this.block)
    for (const entry of this.calls.values()) open.set(entry.item, entry)
    if (open.size === 0) return this.items
    return this.items.map((item) => {
      const entry = open.get(item)
      if (!entry) return item
      if (entry.kind === 'message')
        return { ...item, content: [{ type: 'output_text', annotations: [], logprobs: [], text: entry.text }] }
      if (entry.kind === 'reasoning') return { ...item, summary: [{ type: 'summary_text', text: entry.text }] }
      return entry.kind === 'function' ? { ...item, arguments: entry.text } : item
    })
  }

  /**
   * Ends every open item. The open message or reasoning item is closed with its events; a call that
   * never ended is announced done only when the answer completed (a client acts on a done call), and
   * otherwise kept in `items` with status `incomplete`. `quiet` closes everything without events.
   */
  closeAll(status: ItemStatus, quiet = false): void {
    this.closeBlock(status, quiet)
    for (const entry of this.calls.values()) this.finishCall(entry, status, quiet || status !== 'completed')
    this.calls.clear()
  }

  private open(kind: 'message' | 'reasoning'): Entry {
    this.closeBlock('completed')
    const index = this.items.length
    const message = kind === 'message'
    const id = itemId(this.responseId, message ? 'msg' : 'rs', index)
    const item: Json = message
      ? { id, type: 'message', status: 'in_progress', content: [], role: 'assistant' }
      : { id, type: 'reasoning', summary: [] }
    const entry: Entry = { index, item, kind, text: '' }
    this.items.push(item)
    this.block = entry
    this.emit('response.output_item.added', { output_index: index, item })
    if (message) {
      this.emit('response.content_part.added', {
        item_id: id,
        output_index: index,
        content_index: 0,
        part: { type: 'output_text', annotations: [], logprobs: [], text: '' },
      })
    } else {
      this.emit('response.reasoning_summary_part.added', {
        item_id: id,
        output_index: index,
        summary_index: 0,
        part: { type: 'summary_text', text: '' },
      })
    }
    return entry
  }

  private closeBlock(status: ItemStatus, quiet = false): void {
    const entry = this.block
    if (!entry) return
    this.block = undefined
    const { item, index, text } = entry
    const emit = quiet ? () => {} : this.emit
    if (entry.kind === 'message') {
      const part = { type: 'output_text', annotations: [], logprobs: [], text }
      emit('response.output_text.done', { item_id: item.id, output_index: index, content_index: 0, text, logprobs: [] })
      emit('response.content_part.done', { item_id: item.id, output_index: index, content_index: 0, part })
      item.status = status
      item.content = [part]
    } else {
      const part = { type: 'summary_text', text }
      emit('response.reasoning_summary_text.done', { item_id: item.id, output_index: index, summary_index: 0, text })
      emit('response.reasoning_summary_part.done', { item_id: item.id, output_index: index, summary_index: 0, part })
      item.summary = [part]
    }
    emit('response.output_item.done', { output_index: index, item })
  }

  private finishCall(entry: Entry, status: ItemStatus, quiet = false): void {
    const { item, index } = entry
    const emit = quiet ? () => {} : this.emit
    if (entry.kind === 'custom') {
      const input = unwrapCustomInput(entry.text)
      if (input !== '')
        emit('response.custom_tool_call_input.delta', { output_index: index, item_id: item.id, delta: input })
      emit('response.custom_tool_call_input.done', { output_index: index, item_id: item.id, input })
      item.input = input
    } else {
      if (entry.text === '') {
        entry.text = '{}'
        emit('response.function_call_arguments.delta', { item_id: item.id, output_index: index, delta: '{}' })
      }
      emit('response.function_call_arguments.done', { item_id: item.id, output_index: index, arguments: entry.text })
      item.arguments = entry.text
    }
    item.status = status
    emit('response.output_item.done', { output_index: index, item })
  }
}
