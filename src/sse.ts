/**
 * Our Server-Sent Events framing: the event format existing clients depend on.
 *
 * - a text piece: `data: {"chunk":"…","done":false}`
 * - the last event: `data: {"chunk":"","done":true, …details}`
 * - a failure, as the last event: `data: {"error":"…","done":true}`
 * - a keep-alive comment while the upstream is silent: `: ping`
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

export function chunkEvent(text: string): Uint8Array {
  return encoder.encode(`data: {"chunk":${JSON.stringify(text)},"done":false}\n\n`)
}

/** The closing event; `details` (provider, model, usage…) follow the two fixed fields. */
export function doneEvent(details: object = {}): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify({ chunk: '', done: true, ...details })}\n\n`)
}

/** The failure event; `details` (e.g. `request_id`, issue 8) follow the two fixed fields. */
export function errorEvent(message: string, details: object = {}): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify({ error: message, done: true, ...details })}\n\n`)
}
