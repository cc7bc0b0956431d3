/**
 * The probe's SSE events and the paced stream that carries them, shared by the worker and the object.
 * An event is ~100 bytes (`data: {"chunk":"…","done":false}` and a blank line), one per timer tick,
 * as upstream chunks arrive one per I/O turn; `loggedEvent` adds the `id: <stream id>:<n>` line the
 * gateway's StreamLog writes.
 *
 * @example
 * new Response(pacedEvents(50, plainEvent), { headers: SSE_HEADERS })
 */
const encoder = new TextEncoder()
const TEXT = 'lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod'

export const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }

const eventData = (n: number) => JSON.stringify({ chunk: `${n} ${TEXT}`, done: false })

export const plainEvent = (n: number): Uint8Array => encoder.encode(`data: ${eventData(n)}\n\n`)

export const loggedEvent = (streamId: string, n: number): Uint8Array =>
  encoder.encode(`id: ${streamId}:${n}\ndata: ${eventData(n)}\n\n`)

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

/** `count` events made by `make`, the first at once, each next one a timer tick later; `onEnd` after the last. */
export function pacedEvents(
  count: number,
  make: (n: number) => Uint8Array,
  onEnd?: () => void,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      for (let n = 1; n <= count; n++) {
        if (n > 1) await tick()
        controller.enqueue(make(n))
      }
      controller.close()
      onEnd?.()
    },
  })
}

/** Events in a run of concatenated events (each ends with a blank line). */
export function countEvents(chunks: Uint8Array[]): number {
  let events = 0
  for (const chunk of chunks) {
    for (let i = 1; i < chunk.length; i++) if (chunk[i] === 0x0a && chunk[i - 1] === 0x0a) events++
  }
  return events
}

/** One buffer from several. */
export function concat(chunks: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.byteLength, 0))
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}
