import { createParser } from 'eventsource-parser'

export interface EventDecoderOptions {
  /** The data of each complete event, in order. */
  onData: (data: string) => void
  /** A line that is no SSE field (Gemini sends a mid-stream error object this way). */
  onStrayLine?: (line: string) => void
  /** Called when an event or line grows past `maxEventSize`; it must throw. */
  onOversize: () => never
  /** The largest event or line accepted, in characters (≈ bytes for JSON). */
  maxEventSize: number
}

export interface EventDecoder {
  push(bytes: Uint8Array): void
  /** The body ended: flushes a last line that had no line break. */
  end(): void
}

/**
 * Raw SSE bytes to event data, with a maintained spec parser (`eventsource-parser`): LF, CRLF and CR
 * line endings, multi-line data, comments, and UTF-8 characters split across reads. Memory is bounded:
 * a line or event longer than `maxEventSize` calls `onOversize` instead of growing a buffer.
 *
 * @example
 * const decoder = createEventDecoder({ onData: (data) => handle(JSON.parse(data)), onOversize, maxEventSize: 1 << 20 })
 * decoder.push(bytes) // calls onData for every event the bytes complete
 */
export function createEventDecoder(options: EventDecoderOptions): EventDecoder {
  const text = new TextDecoder()
  const { onStrayLine, maxEventSize } = options
  const parser = createParser({
    // maxBufferSize only checks what is still buffered after a feed: an event or line that one read
    // completes (however long) is dispatched whole, so it is checked here as well.
    onEvent: (event) => {
      if (event.data.length > maxEventSize) options.onOversize()
      options.onData(event.data)
    },
    onError: (error) => {
      if (error.type === 'max-buffer-size-exceeded') options.onOversize()
      if (error.type === 'unknown-field' && onStrayLine && error.line !== undefined) {
        if (error.line.length > maxEventSize) options.onOversize()
        onStrayLine(error.line)
      }
    },
    maxBufferSize: maxEventSize,
  })
  return {
    push(bytes) {
      parser.feed(text.decode(bytes, { stream: true }))
    },
    end() {
      const rest = text.decode()
      if (rest) parser.feed(rest)
      parser.reset({ consume: true })
    },
  }
}
