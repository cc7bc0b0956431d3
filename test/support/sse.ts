/**
 * Strict reading of the gateway's own SSE output: every block is exactly
 * `data: <one-line JSON object>\n\n` or a comment block (`: ping\n\n`); nothing follows the
 * final `done: true` event. A resumable stream opens with `retry: 1000\n\n` and every event is
 * `id: <stream id>:<n>\ndata: …\n\n` with n consecutive (all events or none carry an id).
 * Throws with a precise message when the framing is off.
 *
 * @example
 * const s = await readGatewayStream(await fetch(`${gw}/api/stream/chat-get?user_input=Hi`))
 * s.text  // all chunks joined
 * s.last  // {"chunk":"","done":true,...} or {"error":"...","done":true}
 */

export interface GatewayEvent {
  chunk?: unknown
  done?: unknown
  error?: unknown
  [key: string]: unknown
}

export interface GatewayStream {
  raw: string
  /** The parsed `data:` events in order (comments excluded). */
  events: GatewayEvent[]
  /** The raw `data:` lines in order, for byte-level checks. */
  dataLines: string[]
  /** Comment lines such as `: ping`. */
  comments: string[]
  /** The `id:` of each event (resumable streams), or all undefined (direct path). */
  ids: (string | undefined)[]
  /** The stream opened with `retry: 1000`. */
  retry: boolean
  /** The `chunk` strings of the `done: false` events, joined. */
  text: string
  last: GatewayEvent | undefined
  /** The closing (or error) event's `request_id`, taken out of {@link last} by {@link readGatewayStream}. */
  requestId?: string
  /** The last event's `timing`, checked and taken out of {@link last} by {@link readGatewayStream}. */
  timing?: AnswerTiming
}

/** A seed stream's last event's `timing` once the upstream answered: the log line's figures, in ms. */
export interface AnswerTiming {
  gw_ms: number
  upstream_ms: number
}

const wholeMs = (value: unknown): boolean => Number.isInteger(value) && (value as number) >= 0

/** Exactly `{gw_ms, upstream_ms}`, whole non-negative milliseconds (their values vary from run to run). */
export function isAnswerTiming(value: unknown): value is AnswerTiming {
  if (typeof value !== 'object' || value === null) return false
  const keys = Object.keys(value)
  const { gw_ms, upstream_ms } = value as Record<string, unknown>
  return keys.length === 2 && keys[0] === 'gw_ms' && keys[1] === 'upstream_ms' && wholeMs(gw_ms) && wholeMs(upstream_ms)
}

export function parseGatewayStream(raw: string): GatewayStream {
  const fail = (why: string): never => {
    throw new Error(`bad gateway SSE framing: ${why}\n--- raw (first 2000 chars) ---\n${raw.slice(0, 2000)}`)
  }
  if (raw.includes('\r')) fail('contains a CR; the gateway must frame with LF only')
  if (!raw.endsWith('\n\n')) fail('does not end with a blank line (\\n\\n)')
  const events: GatewayEvent[] = []
  const dataLines: string[] = []
  const comments: string[] = []
  const ids: (string | undefined)[] = []
  let sawDone = false
  const blocks = raw.slice(0, -2).split('\n\n')
  const retry = blocks[0] === 'retry: 1000'
  if (retry) blocks.shift()
  for (const block of blocks) {
    const lines = block.split('\n')
    if (lines.every((l) => l.startsWith(':'))) {
      if (sawDone) fail(`a comment follows the final done event: ${JSON.stringify(block)}`)
      comments.push(...lines)
      continue
    }
    const id = lines.length === 2 && lines[0]!.startsWith('id: ') ? lines.shift()!.slice(4) : undefined
    if (id !== undefined && !/^[A-Za-z0-9_-]{24}:[1-9][0-9]*$/.test(id)) fail(`not an event id: ${JSON.stringify(id)}`)
    if (lines.length !== 1) fail(`a block has ${lines.length} lines: ${JSON.stringify(block)}`)
    const line = lines[0]!
    if (!line.startsWith('data: ')) fail(`a block does not start with "data: ": ${JSON.stringify(line)}`)
    if (sawDone) fail(`an event follows the final done event: ${JSON.stringify(line)}`)
    let value: unknown
    try {
      value = JSON.parse(line.slice(6))
    } catch {
      fail(`a data line is not JSON: ${JSON.stringify(line)}`)
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      fail(`a data line is not a JSON object: ${line}`)
    const event = value as GatewayEvent
    if (event.done === true) sawDone = true
    else if (event.done !== false) fail(`an event has no boolean "done": ${line}`)
    events.push(event)
    dataLines.push(line)
    ids.push(id)
  }
  if (ids.some((id) => id === undefined) && ids.some((id) => id !== undefined)) fail('some events have an id, some not')
  const [streamId, first] = (ids[0] ?? ':').split(':')
  ids.forEach((id, i) => {
    if (id !== undefined && id !== `${streamId}:${Number(first) + i}`)
      fail(`event ${i} has id ${id}, expected ${streamId}:${Number(first) + i}`)
  })
  const text = events
    .filter((e) => e.done === false)
    .map((e) => (typeof e.chunk === 'string' ? e.chunk : ''))
    .join('')
  return { raw, events, dataLines, comments, ids, retry, text, last: events.at(-1) }
}

/**
 * Reads the whole body as UTF-8 (streaming decoder) and parses it strictly. The last event must carry
 * `request_id`: the response's `X-Request-Id` for a stream that started with this request (a resumed
 * stream's names the request that started it). It is moved from `last` to `requestId`, so the other
 * fields of the closing event can be compared exactly. So is `timing`, to `timing`, once checked
 * ({@link isAnswerTiming}, just before `request_id`): a good answer's closing event (a `finish_reason`
 * other than `cancelled`) must have it; a cancelled one or an error event may.
 */
export async function readGatewayStream(res: Response): Promise<GatewayStream> {
  const stream = parseGatewayStream(await res.text())
  const last = stream.last
  if (!last) return stream
  const requestId = last.request_id
  if (typeof requestId !== 'string' || !requestId) {
    throw new Error(`the last event has no request_id: ${JSON.stringify(last)}`)
  }
  // A replay (GET /api/streams/{id}, or Last-Event-ID) names the request that started the stream.
  const startedHere =
    stream.ids[0] === undefined ||
    (stream.ids[0].endsWith(':1') && !new URL(res.url).pathname.startsWith('/api/streams/'))
  if (startedHere && requestId !== res.headers.get('x-request-id')) {
    throw new Error(`request_id ${requestId} is not the response's X-Request-Id ${res.headers.get('x-request-id')}`)
  }
  delete last.request_id
  stream.requestId = requestId
  const { timing } = last
  if (timing !== undefined) {
    if (!isAnswerTiming(timing) || !/,"timing":\{[^{}]*\},"request_id":"[^"]*"\}$/.test(stream.dataLines.at(-1)!))
      throw new Error(`the last event's timing is malformed or misplaced: ${stream.dataLines.at(-1)}`)
    delete last.timing
    stream.timing = timing
  } else if (last.chunk === '' && typeof last.finish_reason === 'string' && last.finish_reason !== 'cancelled') {
    throw new Error(`the closing event of an answer has no timing: ${stream.dataLines.at(-1)}`)
  }
  return stream
}

/**
 * Reads a streaming response event by event; `onEvent` returns true to stop reading (the caller
 * then aborts the request). Returns the events seen; `lastEventId` is the id of the last one (resumable streams).
 */
export async function readUntil(
  res: Response,
  onEvent: (e: GatewayEvent, all: GatewayEvent[]) => boolean,
): Promise<GatewayEvent[] & { lastEventId?: string; raw?: string }> {
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  const seen: GatewayEvent[] & { lastEventId?: string; raw?: string } = []
  let buffer = ''
  seen.raw = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return seen
    buffer += decoder.decode(value, { stream: true })
    let cut: number
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut)
      buffer = buffer.slice(cut + 2)
      seen.raw += `${block}\n\n`
      const lines = block.split('\n')
      const data = lines.find((line) => line.startsWith('data: '))
      if (!data) continue
      const id = lines.find((line) => line.startsWith('id: '))
      if (id) seen.lastEventId = id.slice(4)
      const e = JSON.parse(data.slice(6)) as GatewayEvent
      seen.push(e)
      if (onEvent(e, seen)) return seen
    }
  }
}
