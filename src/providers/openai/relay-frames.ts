import { upstreamStatusError } from '../errors'

/**
 * Byte-level looks at OpenAI's SSE frames for the relay, without decoding what it passes on: where
 * events end, where the last one starts, the usage-only chunk a client did not ask for, and an
 * `{"error": …}` event inside the stream.
 *
 * @example
 * boundaryEnd(bytes)     // the index after the last blank line
 * errorEventStart(bytes) // where a `data: {"error"…` event starts, or -1
 */

export const LF = 0x0a
const CR = 0x0d
/** How much of the stream's end is read for the usage and the finish reason. */
export const TAIL_BYTES = 8192

/** The index after the last event boundary (`\n\n`, `\r\n\r\n` or `\r\r`), 0 if there is none. */
export function boundaryEnd(bytes: Uint8Array): number {
  for (let i = bytes.length - 1; i > 0; i--) {
    const byte = bytes[i]
    if ((byte === LF || byte === CR) && bytes[i - 1] === byte) return i + 1
    if (byte === LF && bytes[i - 1] === CR && bytes[i - 2] === LF && i >= 3 && bytes[i - 3] === CR) return i + 1
  }
  return 0
}

const USAGE_CHUNK = /data: ?\{[^\n]*"choices":\[\],[^\n]*"usage":\{[^\n]*\r?\n\r?\n/g
const encoder = new TextEncoder()

/** The events without the usage-only chunk (`"choices":[]` and `"usage"`), which the client did not ask for. */
export function withoutUsageChunk(chunk: Uint8Array, text: TextDecoder): Uint8Array {
  const events = text.decode(chunk)
  if (!events.includes('"choices":[]')) return chunk
  return encoder.encode(events.replace(USAGE_CHUNK, ''))
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0
  for (const part of parts) size += part.length
  const joined = new Uint8Array(size)
  let offset = 0
  for (const part of parts) {
    joined.set(part, offset)
    offset += part.length
  }
  return joined
}

export const CHAT_END = /data: ?\[DONE\]\s*$/
export const RESPONSES_END =
  /^(event: ?response\.(completed|incomplete|failed)|data: ?\{"type":"response\.(completed|incomplete|failed)")/
export const CLOSE_BRACKET = 0x5d

/** The start of the last event of an event-aligned chunk. */
export function lastEventStart(chunk: Uint8Array): number {
  for (let i = chunk.length - 3; i > 0; i--) {
    if (chunk[i] === LF && (chunk[i - 1] === LF || (chunk[i - 1] === CR && chunk[i - 2] === LF))) return i + 1
  }
  return 0
}

const ERROR_KEY = [0x7b, 0x22, 0x65, 0x72, 0x72, 0x6f, 0x72, 0x22] // {"error"
const DATA = [0x64, 0x61, 0x74, 0x61, 0x3a] // data:

/**
 * Where a `data: {"error"` event starts in event-aligned bytes, or -1. It jumps from one `{` to the
 * next with the runtime's own search, so a chunk costs a few native scans, not a byte loop in JS.
 */
export function errorEventStart(bytes: Uint8Array): number {
  const last = bytes.length - ERROR_KEY.length
  for (let i = bytes.indexOf(0x7b, 5); i >= 0 && i <= last; i = bytes.indexOf(0x7b, i + 1)) {
    if (bytes[i + 2] !== 0x65) continue
    let match = true
    for (let k = 1; k < ERROR_KEY.length && match; k++) match = bytes[i + k] === ERROR_KEY[k]
    if (!match) continue
    let start = bytes[i - 1] === 0x20 ? i - 6 : i - 5
    for (let k = 0; k < DATA.length && start >= 0; k++) if (bytes[start + k] !== DATA[k]) start = -1
    if (start >= 0 && (start === 0 || bytes[start - 1] === LF || bytes[start - 1] === CR)) return start
  }
  return -1
}

/** OpenAI's error event, in the gateway's words (its own text goes to the log line as the cause). */
export function errorEventFailure(event: Uint8Array) {
  const text = new TextDecoder().decode(event)
  const data = text.replace(/^data: ?/, '').split(/\r?\n/, 1)[0] ?? ''
  let message = ''
  let code: number | undefined
  try {
    const { error } = JSON.parse(data) as { error?: { message?: unknown; code?: unknown } }
    if (typeof error?.message === 'string') message = error.message
    if (typeof error?.code === 'number') code = error.code
  } catch {
    message = data
  }
  return upstreamStatusError('openai', code, message, { midStream: true })
}
