import { truncatedError } from '../providers/errors'

/**
 * OpenAI's stream, passed through as it arrives: the upstream's own bytes, one read at a time.
 * The only work per read is a look at its last bytes: bytes after the last blank line are held
 * until their event is complete, so that an error frame after a cut connection never glues onto
 * half an event. A stream that ends without `data: [DONE]` was cut: that is an error frame too.
 *
 * @example
 * return streamResponse(relayFrames(upstream.body!), { abort, pingIntervalMs, idleTimeoutMs, idleError, source: 'openai' })
 */

const LF = 0x0a
const CR = 0x0d
const DONE = /data: ?\[DONE\]\s*$/

/** The index after the last event boundary (`\n\n`, `\r\n\r\n` or `\r\r`), 0 if there is none. */
export function boundaryEnd(bytes: Uint8Array): number {
  for (let i = bytes.length - 1; i > 0; i--) {
    const byte = bytes[i]
    if ((byte === LF || byte === CR) && bytes[i - 1] === byte) return i + 1
    if (byte === LF && bytes[i - 1] === CR && bytes[i - 2] === LF && i >= 3 && bytes[i - 3] === CR) return i + 1
  }
  return 0
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length)
  joined.set(a)
  joined.set(b, a.length)
  return joined
}

export async function* relayFrames(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array, void, undefined> {
  const reader = body.getReader()
  let held: Uint8Array | undefined
  let last: Uint8Array | undefined
  try {
    for (;;) {
      let read: { done: boolean; value?: Uint8Array }
      try {
        read = await reader.read()
      } catch (error) {
        if (error instanceof Error && error.name === 'AbortError') throw error
        throw truncatedError('openai', error)
      }
      if (read.done) break
      let chunk = held ? concat(held, read.value!) : read.value!
      held = undefined
      const end = chunk.length > 1 && chunk[chunk.length - 1] === LF && chunk[chunk.length - 2] === LF ? chunk.length : boundaryEnd(chunk)
      if (end < chunk.length) {
        held = chunk.slice(end)
        chunk = chunk.subarray(0, end)
      }
      if (chunk.length > 0) {
        last = chunk
        yield chunk
      }
    }
    const tail = last ? new TextDecoder().decode(last.subarray(Math.max(0, last.length - 32))) : ''
    if (held !== undefined || !DONE.test(tail)) throw truncatedError('openai')
  } finally {
    reader.cancel().catch(() => {})
  }
}
