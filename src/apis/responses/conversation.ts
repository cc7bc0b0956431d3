import type { FilePart, Message, ReasoningPart, TextPart, ToolCallPart, ToolResultPart } from '../../canonical/request'

/**
 * The canonical conversation as Responses input items are read, one item at a time: consecutive
 * assistant items (text, reasoning, calls) become one assistant turn and consecutive call outputs
 * one tool turn, as Gemini wants them; each call's name is kept by `call_id` for its output.
 *
 * @example
 * const conversation = new Conversation()
 * conversation.user([{ type: 'text', text: 'Weather?' }])
 * conversation.call({ type: 'tool-call', id: 'call_1', name: 'weather', input: '{}' })
 * conversation.nameOf('call_1') // 'weather'
 */
export class Conversation {
  readonly messages: Message[] = []
  private readonly names = new Map<string, string>()

  system(text: string): void {
    this.messages.push({ role: 'system', parts: [{ type: 'text', text }] })
  }

  user(parts: (TextPart | FilePart)[]): void {
    this.messages.push({ role: 'user', parts: parts.length > 0 ? parts : [{ type: 'text', text: '' }] })
  }

  assistant(parts: (TextPart | ReasoningPart)[]): void {
    this.assistantParts().push(...parts)
  }

  /**
   * A call. Without a signature of its own, it takes the one of a `reasoning` item right before it
   * (where some gateways carry it), since Gemini wants the signature on the call itself.
   */
  call(part: ToolCallPart): void {
    const parts = this.assistantParts()
    const previous = parts.at(-1)
    if (!part.signature && previous?.type === 'reasoning' && previous.signature) {
      part.signature = previous.signature
      if (previous.text === '') parts.pop()
      else delete previous.signature
    }
    parts.push(part)
    this.names.set(part.id, part.name)
  }

  /** The name of the call `callId` answers, if an earlier item made that call. */
  nameOf(callId: string): string | undefined {
    return this.names.get(callId)
  }

  result(part: ToolResultPart): void {
    const last = this.messages.at(-1)
    if (last?.role === 'tool') last.parts.push(part)
    else this.messages.push({ role: 'tool', parts: [part] })
  }

  private assistantParts(): (TextPart | ReasoningPart | ToolCallPart)[] {
    const last = this.messages.at(-1)
    if (last?.role === 'assistant') return last.parts
    const message: Message = { role: 'assistant', parts: [] }
    this.messages.push(message)
    return message.parts
  }
}
