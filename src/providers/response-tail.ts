/** Remembers the last bytes of a response body while passing every chunk through untouched. */
export interface TailRecorder {
  /** Returns a response whose body is observed; non-2xx or bodiless responses are returned as they are. */
  wrap(response: Response): Response
  /** The last two chunks read, decoded (enough to hold a trailing error object). */
  text(): string
}

/**
 * @example
 * const tail = withTail()
 * const response = tail.wrap(await fetch(url))
 * // … after the stream failed:
 * tail.text() // '…\r\n\r\n{\n  "error": {…}\n}\n'
 */
export function withTail(): TailRecorder {
  let previous: Uint8Array | undefined
  let last: Uint8Array | undefined
  return {
    wrap(response) {
      if (!response.ok || response.body === null) return response
      const observed = response.body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            previous = last
            last = chunk
            controller.enqueue(chunk)
          },
        }),
      )
      return new Response(observed, response)
    },
    text() {
      const decoder = new TextDecoder()
      return (previous ? decoder.decode(previous, { stream: true }) : '') + (last ? decoder.decode(last) : '')
    },
  }
}
