/** Remembers the last reads of a response body while passing every chunk through untouched. */
export interface TailRecorder {
  /** Returns a response whose body is observed; non-2xx or bodiless responses are returned as they are. */
  wrap(response: Response): Response
  /** The last reads, decoded (enough to hold a trailing error object). */
  text(): string
}

const KEPT_READS = 8

/**
 * Keeps references to the last {@link KEPT_READS} chunks in a ring: O(1) per chunk, no copy.
 *
 * @example
 * const tail = withTail()
 * const response = tail.wrap(await fetch(url))
 * // … after the stream failed:
 * tail.text() // '…\r\n\r\n{\n  "error": {…}\n}\n'
 */
export function withTail(): TailRecorder {
  const ring: (Uint8Array | undefined)[] = new Array(KEPT_READS)
  let reads = 0
  return {
    wrap(response) {
      if (!response.ok || response.body === null) return response
      const observed = response.body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            ring[reads++ % KEPT_READS] = chunk
            controller.enqueue(chunk)
          },
        }),
      )
      return new Response(observed, response)
    },
    text() {
      const decoder = new TextDecoder()
      let text = ''
      for (let read = Math.max(0, reads - KEPT_READS); read < reads; read++) {
        const chunk = ring[read % KEPT_READS]
        if (chunk) text += decoder.decode(chunk, { stream: true })
      }
      return text + decoder.decode()
    },
  }
}
