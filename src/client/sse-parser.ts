/**
 * A Server-Sent Events parser as browsers run it (WHATWG "event stream interpretation"):
 * CRLF, LF and CR line ends, comment lines (`: ping`) skipped, multi-line `data:` joined with
 * "\n", one space after the colon dropped, `id:` kept across events, `retry:` reported, an event
 * dispatched on its blank line. Feed it decoded text split anywhere, even inside a "\r\n".
 *
 * @example
 * const parser = createSseParser({ onEvent: (e) => console.log(e.id, e.data) })
 * parser.push('id: 1\ndata: {"chunk":"Hi","done":false}\n')
 * parser.push('\n') // logs: 1 {"chunk":"Hi","done":false}
 */

export interface SseEvent {
  /** The `data:` lines joined with "\n". */
  data: string
  /** The last `id:` seen so far in this stream ('' when none), as EventSource's `lastEventId`. */
  id: string
  /** The `event:` field, 'message' when absent. */
  event: string
}

export interface SseParserHandlers {
  onEvent(event: SseEvent): void
  /** A `retry:` line: the server's reconnection delay in milliseconds. */
  onRetry?(ms: number): void
}

export interface SseParser {
  push(text: string): void
  /** End of the stream: an event without its blank line is dropped, as EventSource does. */
  end(): void
}

export function createSseParser(handlers: SseParserHandlers): SseParser {
  let buffer = ''
  let data: string[] = []
  let event = ''
  let id = ''

  const line = (text: string): void => {
    if (text === '') {
      if (data.length > 0) handlers.onEvent({ data: data.join('\n'), id, event: event || 'message' })
      data = []
      event = ''
      return
    }
    if (text.charCodeAt(0) === 58 /* ':' */) return
    const colon = text.indexOf(':')
    const field = colon === -1 ? text : text.slice(0, colon)
    let value = colon === -1 ? '' : text.slice(colon + 1)
    if (value.charCodeAt(0) === 32 /* ' ' */) value = value.slice(1)
    if (field === 'data') data.push(value)
    else if (field === 'event') event = value
    else if (field === 'id') {
      if (!value.includes('\0')) id = value
    } else if (field === 'retry' && /^\d+$/.test(value)) handlers.onRetry?.(Number(value))
  }

  return {
    push(text) {
      buffer += text
      let start = 0
      for (;;) {
        const cr = buffer.indexOf('\r', start)
        const lf = buffer.indexOf('\n', start)
        const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf)
        if (end === -1) break
        // A "\r" at the very end may be the first half of a "\r\n": wait for the next piece.
        if (end === cr && cr === buffer.length - 1) break
        line(buffer.slice(start, end))
        start = end + (end === cr && buffer.charCodeAt(cr + 1) === 10 ? 2 : 1)
      }
      buffer = buffer.slice(start)
    },
    end() {
      if (buffer.endsWith('\r')) line(buffer.slice(0, -1))
      buffer = ''
      data = []
      event = ''
    },
  }
}
