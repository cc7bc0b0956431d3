/**
 * Our Server-Sent Events framing: the event format existing clients depend on.
 *
 * - a text piece: `data: {"chunk":"…","done":false}`
 * - the last event: `data: {"chunk":"","done":true, …details}`
 * - a failure, as the last event: `data: {"error":"…","done":true}`
 * - a keep-alive comment while the upstream is silent: `: ping`
 * - on resumable streams, each event also carries `id: <stream id>:<n>` before its data line, and the
 *   stream opens with `retry: 1000` ({@link withId}, {@link RETRY_EVENT})
 *
 * @example
 * chunkEvent('Hi') // bytes of 'data: {"chunk":"Hi","done":false}\n\n'
 */

const encoder = new TextEncoder()

/** Headers of every SSE response: no caching, no proxy buffering, no compression (`no-transform`). */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
}

export const PING_EVENT: Uint8Array = encoder.encode(': ping\n\n')

/** Opens a stream where the runtime would otherwise hold the headers back until the first event. */
export const OPEN_EVENT: Uint8Array = encoder.encode(': open\n\n')

/** Tells EventSource to reconnect after about a second (its default is about 3 s). */
export const RETRY_EVENT: Uint8Array = encoder.encode('retry: 1000\n\n')

/** The JSON of a text piece: `{"chunk":"…","done":false}`. */
export function chunkData(text: string): string {
  return `{"chunk":${JSON.stringify(text)},"done":false}`
}

/** The JSON of the closing event; `details` (provider, model, usage…) follow the two fixed fields. */
export function doneData(details: object = {}): string {
  return JSON.stringify({ chunk: '', done: true, ...details })
}

/** The JSON of the failure event; `details` (e.g. `request_id`) follow the two fixed fields. */
export function errorData(message: string, details: object = {}): string {
  return JSON.stringify({ error: message, done: true, ...details })
}

export function chunkEvent(text: string): Uint8Array {
  return encoder.encode(`data: ${chunkData(text)}\n\n`)
}

/** The closing event; `details` (provider, model, usage…) follow the two fixed fields. */
export function doneEvent(details: object = {}): Uint8Array {
  return encoder.encode(`data: ${doneData(details)}\n\n`)
}

/** The failure event; `details` (e.g. `request_id`) follow the two fixed fields. */
export function errorEvent(message: string, details: object = {}): Uint8Array {
  return encoder.encode(`data: ${errorData(message, details)}\n\n`)
}

/**
 * An event with its id, encoded once: `id: <id>\ndata: <json>\n\n`.
 *
 * @example
 * withId('Qm9…:3', chunkData('Hi')) // bytes of 'id: Qm9…:3\ndata: {"chunk":"Hi","done":false}\n\n'
 */
export function withId(id: string, data: string): Uint8Array {
  return encoder.encode(`id: ${id}\ndata: ${data}\n\n`)
}

/** A 200 SSE response around a stream of events. */
export function sseResponse(body: ReadableStream<Uint8Array>, headers: Record<string, string> = {}): Response {
  return new Response(body, { status: 200, headers: { ...SSE_HEADERS, ...headers } })
}
