/**
 * Reading a whole SSE answer in the format its contender speaks (its wire), after the stream ended:
 * the joined text, where the first text event ended, whether it ended with its format's done event
 * with nothing after it (so a second terminal Responses event fails the stream), and any error. One
 * reader per wire; a new API with a new format adds one.
 *
 * @example
 * parseBody('chat', 'retry: 1000\n\nid: s:1\ndata: {"choices":[{"delta":{"content":"Hi"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n')
 * // { text: 'Hi', firstTextEnd: 92, textEvents: 1, textMarks: [{ end: 92, textLength: 2 }], done: true }
 */

/**
 * `events`: the gateway's `data: {"chunk":…,"done":…}` events (POST /api/stream/chat).
 * `chat`: OpenAI `chat.completion.chunk` frames ending with `data: [DONE]`.
 * `gemini`: Gemini's own `streamGenerateContent?alt=sse` events, ending with `finishReason`.
 * `responses`: Responses events (`event: <type>` + `data: {"type":<type>,…}`), text in
 * `response.output_text.delta`'s `delta`, ending with one terminal `response.completed`.
 */
export type Wire = 'events' | 'chat' | 'gemini' | 'responses'

/** One request and how its answer is read. */
export interface Exchange {
  path: string
  headers: Record<string, string>
  body: string
  wire: Wire
  /** A `chat` answer that ends with `finish_reason: "stop"` and no `[DONE]` counts as done (Portkey's Google path). */
  doneAtStop?: boolean
}

export interface Parsed {
  text: string
  /** Index (into the joined string) where the first text event ends. */
  firstTextEnd: number
  textEvents: number
  /** Per text event: where it ends in the body, and the answer text's length once it is added. */
  textMarks: { end: number; textLength: number }[]
  done: boolean
  error?: string
}

/** What one event's data says. */
interface EventRead {
  piece: string
  done?: boolean
  error?: string
  /** `chat`: the event's `finish_reason`, when it has one. */
  finish?: string
}

/** A Responses stream ends with exactly one of these; only `response.completed` is a complete answer. */
const RESPONSES_TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed'])

/** Reads one event's data; `event` is its `event:` line's value, if it had one. */
const READERS: Record<Wire, (data: string, event: string | undefined) => EventRead> = {
  events(data) {
    const ev = JSON.parse(data) as { chunk?: string; done?: boolean; error?: string }
    if (ev.error !== undefined) return { piece: '', done: true, error: ev.error }
    return ev.done ? { piece: '', done: true } : { piece: ev.chunk ?? '' }
  },
  chat(data) {
    if (data === '[DONE]') return { piece: '', done: true }
    const ev = JSON.parse(data) as {
      choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[]
      error?: { message?: string }
    }
    const choice = ev.choices?.[0]
    return {
      piece: choice?.delta?.content ?? '',
      ...(ev.error ? { error: ev.error.message ?? 'upstream error' } : {}),
      ...(choice?.finish_reason ? { finish: choice.finish_reason } : {}),
    }
  },
  gemini(data) {
    const ev = JSON.parse(data) as {
      candidates?: { content?: { parts?: { text?: string; thought?: boolean }[] }; finishReason?: string }[]
    }
    const cand = ev.candidates?.[0]
    let piece = ''
    for (const p of cand?.content?.parts ?? []) if (p.text && !p.thought) piece += p.text
    if (!cand?.finishReason) return { piece }
    return {
      piece,
      done: true,
      ...(cand.finishReason !== 'STOP' ? { error: `finishReason ${cand.finishReason}` } : {}),
    }
  },
  responses(data, event) {
    const ev = JSON.parse(data) as {
      type?: string
      delta?: string
      message?: string
      error?: { message?: string }
      response?: { error?: { message?: string } | null; incomplete_details?: { reason?: string } | null }
    }
    if (event !== ev.type) return { piece: '', error: `event: ${event ?? '(none)'} for type ${ev.type ?? '(none)'}` }
    if (ev.type === 'response.output_text.delta') return { piece: ev.delta ?? '' }
    if (ev.type === 'error') return { piece: '', error: ev.error?.message ?? ev.message ?? 'error event' }
    if (!RESPONSES_TERMINAL.has(ev.type ?? '')) return { piece: '' }
    if (ev.type === 'response.completed') return { piece: '', done: true }
    const why = ev.response?.error?.message ?? ev.response?.incomplete_details?.reason ?? ''
    return { piece: '', done: true, error: `${ev.type} ${why}`.trim() }
  },
}

/** SSE lines a stream may carry besides `data:`: the resumable framing (`id:`, `retry:`), `event:` and comments. */
const OTHER_FIELD = /^(id|retry|event)(:|$)|^:/

/** Parses an SSE body (LF or CRLF framing) as `wire` frames it. */
export function parseBody(wire: Wire, body: string, options: { doneAtStop?: boolean } = {}): Parsed {
  const out: Parsed = { text: '', firstTextEnd: -1, textEvents: 0, textMarks: [], done: false }
  const read = READERS[wire]
  const sep = /\r\n\r\n|\n\n/g
  let start = 0
  let finish: string | undefined
  for (let m = sep.exec(body); m; m = sep.exec(body)) {
    const lines = body.slice(start, m.index).split(/\r?\n/)
    const end = m.index + m[0].length
    start = end
    const stray = lines.find((l) => l !== '' && !l.startsWith('data:') && !OTHER_FIELD.test(l))
    if (stray !== undefined) out.error ??= `not an SSE field: ${JSON.stringify(stray.slice(0, 80))}`
    const data = lines
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).replace(/^ /, ''))
      .join('\n')
    if (data === '') continue // a comment (": ping"), a `retry:` block or an empty block
    if (out.done) out.error ??= 'an event after the done event'
    const eventLine = lines.find((l) => l.startsWith('event:'))
    const ev = read(data, eventLine?.slice(6).trim())
    if (ev.error !== undefined) out.error ??= ev.error
    if (ev.finish !== undefined) finish = ev.finish
    if (ev.done) {
      out.done = true
      if (wire === 'chat' && ev.error === undefined && finish === undefined)
        out.error ??= 'no finish_reason before [DONE]'
    }
    if (ev.piece !== '') {
      out.text += ev.piece
      out.textEvents++
      out.textMarks.push({ end, textLength: out.text.length })
      if (out.firstTextEnd < 0) out.firstTextEnd = end
    }
  }
  if (!out.done && options.doneAtStop && finish === 'stop') out.done = true
  if (body.slice(start).trim() !== '')
    out.error ??= `unterminated trailing data: ${JSON.stringify(body.slice(start, start + 80))}`
  return out
}
