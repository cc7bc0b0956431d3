/**
 * Stream ids and event ids.
 *
 * A stream id is 144 random bits (crypto.getRandomValues) in base64url: 24 characters of
 * `A-Z a-z 0-9 - _`. It is the capability to resume, so it is never guessable.
 * An event id is `<stream id>:<n>`, n = 1, 2, 3… in the stream's order (the closing event too), so a
 * reconnecting EventSource, whose only memory is `Last-Event-ID`, tells us which stream and where.
 *
 * @example
 * const streamId = newStreamId()    // 'x3Q0bC9vZ-1kR2_wT8yNa4Lm'
 * eventId(streamId, 3)              // 'x3Q0bC9vZ-1kR2_wT8yNa4Lm:3'
 * parseEventId(eventId(streamId, 3)) // { streamId, seq: 3 }
 */

const STREAM_ID = /^[A-Za-z0-9_-]{24}$/
const SEQ = /^(0|[1-9][0-9]{0,8})$/

export function newStreamId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18))
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_')
}

export function isStreamId(value: string): boolean {
  return STREAM_ID.test(value)
}

export function eventId(streamId: string, seq: number): string {
  return `${streamId}:${seq}`
}

export interface EventPosition {
  streamId: string
  /** The last event the client has; 0: none yet. */
  seq: number
}

/** Reads `<stream id>:<n>`; undefined for anything else. */
export function parseEventId(value: string): EventPosition | undefined {
  const cut = value.lastIndexOf(':')
  if (cut < 0) return undefined
  const streamId = value.slice(0, cut)
  const seq = value.slice(cut + 1)
  if (!isStreamId(streamId) || !SEQ.test(seq)) return undefined
  return { streamId, seq: Number(seq) }
}

/** The position in a known stream from `<stream id>:<n>` or a bare `<n>`; undefined if it is neither or names another stream. */
export function parseSeq(value: string, streamId: string): number | undefined {
  if (SEQ.test(value)) return Number(value)
  const position = parseEventId(value)
  return position?.streamId === streamId ? position.seq : undefined
}
