import { type EventSourceParser, createParser } from 'eventsource-parser'

/** Where an {@link EventDecoder} hands what it read: an object with methods, so a stream needs no closures for it. */
export interface EventHandler {
  /** The data of each complete event, in order. */
  onData(data: string): void
  /** A line that is no SSE field (Gemini sends a mid-stream error object this way). */
  onStrayLine?(line: string): void
  /** Called when an event or line grows past `maxEventSize`; it must throw. */
  onOversize(): never
}

export interface EventDecoderOptions extends EventHandler {
  /** The largest event or line accepted, in characters (≈ bytes for JSON). */
  maxEventSize: number
}

/**
 * Raw SSE bytes to event data, with a maintained spec parser (`eventsource-parser`): LF, CRLF and CR
 * line endings, multi-line data, comments, and UTF-8 characters split across reads. Memory is bounded:
 * a line or event longer than `maxEventSize` calls `onOversize` instead of growing a buffer.
 *
 * @example
 * const decoder = new EventDecoder({ onData: (data) => handle(JSON.parse(data)), onOversize }, 1 << 20)
 * decoder.push(bytes) // calls onData for every event the bytes complete
 */
export class EventDecoder {
  private readonly text = new TextDecoder()
  private readonly parser: EventSourceParser

  constructor(handler: EventHandler, maxEventSize: number) {
    this.parser = createParser({
      // maxBufferSize only checks what is still buffered after a feed: an event or line that one read
      // completes (however long) is dispatched whole, so it is checked here as well.
      onEvent: (event) => {
        if (event.data.length > maxEventSize) handler.onOversize()
        handler.onData(event.data)
      },
      onError: (error) => {
        if (error.type === 'max-buffer-size-exceeded') handler.onOversize()
        if (error.type === 'unknown-field' && handler.onStrayLine && error.line !== undefined) {
          if (error.line.length > maxEventSize) handler.onOversize()
          handler.onStrayLine(error.line)
        }
      },
      maxBufferSize: maxEventSize,
    })
  }

  push(bytes: Uint8Array): void {
    this.parser.feed(this.text.decode(bytes, { stream: true }))
  }

  /** The body ended: flushes a last line that had no line break. */
  end(): void {
    const rest = this.text.decode()
    if (rest) this.parser.feed(rest)
    this.parser.reset({ consume: true })
  }
}

/** An {@link EventDecoder} whose handler is `options`. */
export function createEventDecoder(options: EventDecoderOptions): EventDecoder {
  return new EventDecoder(options, options.maxEventSize)
}
