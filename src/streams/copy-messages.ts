/**
 * What a stream's producer (the worker that runs the generation) and the stream's Durable Object
 * say to each other over the WebSocket that carries the copy. Events travel as binary messages, a
 * batch each: the event count, each event's length (little-endian 32-bit), then the events' bytes
 * exactly as the producer's log encoded them (id lines included). Everything else is JSON text.
 *
 * @example
 * socket.send(encodeBatch([first, second]))
 * decodeBatch(new Uint8Array(message.data)) // [first, second], views into the message
 * decodeWhole(encodeWhole([first, second], state)) // { events: [first, second], state }
 */

/** From the producer: the closing event was in the last batch; `state` is the renderer's final state. */
export interface EndMessage {
  type: 'end'
  state: unknown
}

/** From the producer: the answer to a {@link StateRequest}. */
export interface StateMessage {
  type: 'state'
  id: number
  state: unknown
}

/** From the object: DELETE reached it; the producer stops the answer with its API's cancelled ending. */
export interface CancelMessage {
  type: 'cancel'
}

/** From the object: how many clients follow the copy (they hold off the producer's grace). */
export interface ListenersMessage {
  type: 'listeners'
  count: number
}

/** From the object: a snapshot needs the renderer's current state. */
export interface StateRequest {
  type: 'state?'
  id: number
}

export type ProducerMessage = EndMessage | StateMessage
export type ObjectMessage = CancelMessage | ListenersMessage | StateRequest

/** One binary message holding `events`. */
export function encodeBatch(events: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let size = 4 + 4 * events.length
  for (const event of events) size += event.byteLength
  const batch = new Uint8Array(size)
  const view = new DataView(batch.buffer)
  view.setUint32(0, events.length, true)
  let offset = 4 + 4 * events.length
  events.forEach((event, i) => {
    view.setUint32(4 + 4 * i, event.byteLength, true)
    batch.set(event, offset)
    offset += event.byteLength
  })
  return batch
}

/** The events of a batch, as views into it; throws on a malformed batch. */
export function decodeBatch(batch: Uint8Array): Uint8Array[] {
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength)
  const count = view.getUint32(0, true)
  let offset = 4 + 4 * count
  const events: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    const length = view.getUint32(4 + 4 * i, true)
    if (offset + length > batch.byteLength) throw new RangeError('the batch is shorter than its lengths say')
    events.push(batch.subarray(offset, offset + length))
    offset += length
  }
  return events
}

/**
 * A whole stream in one body, for a stream that ended before its socket opened: the state's JSON
 * length (little-endian 32-bit), the state's JSON, then the events as {@link encodeBatch} puts them.
 */
export function encodeWhole(events: readonly Uint8Array[], state: unknown): Uint8Array<ArrayBuffer> {
  const json = new TextEncoder().encode(JSON.stringify(state ?? null))
  const batch = encodeBatch(events)
  const body = new Uint8Array(4 + json.byteLength + batch.byteLength)
  new DataView(body.buffer).setUint32(0, json.byteLength, true)
  body.set(json, 4)
  body.set(batch, 4 + json.byteLength)
  return body
}

/** The events and state of a {@link encodeWhole} body. */
export function decodeWhole(body: Uint8Array): { events: Uint8Array[]; state: unknown } {
  const length = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(0, true)
  const state = JSON.parse(new TextDecoder().decode(body.subarray(4, 4 + length))) as unknown
  return { events: decodeBatch(body.subarray(4 + length)), state }
}
