/**
 * `streamChat()`: the gateway's answer as an async iterator, with no dependencies, for
 * browsers, Node, Bun, Deno and Workers. It POSTs to `/api/stream/chat`, reads the SSE bytes
 * with `fetch`, and yields each text piece, then the closing event. Comments (`: ping`,
 * `: open`) are skipped; an error event, a refused request or a lost stream throws a
 * {@link StreamChatError}. When the events carry `id:` lines (resumable streams), a dropped
 * connection is resumed with `Last-Event-ID` on the same route: the rest of the same answer,
 * no second generation.
 *
 * @example
 * const controller = new AbortController()
 * for await (const event of streamChat({ user_input: 'Xin chào!', provider: 'gemini' }, {
 *   baseUrl: 'http://localhost:8000',
 *   signal: controller.signal,
 * })) {
 *   if (event.type === 'text') process.stdout.write(event.text)
 *   else console.log('\n', event.finish_reason, event.usage)
 * }
 */
import { createSseParser, type SseEvent } from './sse-parser'
import { StreamChatError, httpError } from './stream-chat-error'

export { StreamChatError, type StreamChatErrorKind, type StreamChatIssue } from './stream-chat-error'

/** The body of `POST /api/stream/chat` (see ChatRequest in /openapi.json). */
export interface ChatInput {
  user_input: string
  provider?: 'gemini' | 'openai'
  model?: string
  system?: string
  /** Earlier turns, oldest first. */
  messages?: { role: 'user' | 'assistant'; content: string }[]
  temperature?: number
  max_tokens?: number
  /** false: only the requested provider and model answer, never a FALLBACK entry. */
  fallback?: boolean
}

/** A piece of the answer. `id` is the event's `id:` (resumable streams), when it has one. */
export interface StreamChatText {
  type: 'text'
  text: string
  id?: string
}

/** The closing event: every field the gateway put next to `"done":true`. */
export interface StreamChatDone {
  type: 'done'
  provider?: string
  model?: string
  /** `stop`, `length`, `content_filter`…; `cancelled` when the stream was stopped by DELETE. */
  finish_reason?: string
  usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number; reasoning_tokens?: number }
  /** The gateway's own time before the upstream request and the wait for its answer, in ms (the log line's figures). */
  timing?: { gw_ms: number; upstream_ms: number }
  [field: string]: unknown
}

export type StreamChatEvent = StreamChatText | StreamChatDone

export interface StreamChatOptions {
  /** The gateway, e.g. `http://localhost:8000` (a path prefix such as `/gw` is kept). */
  baseUrl: string | URL
  /** Extra request headers, e.g. `Authorization`. */
  headers?: Record<string, string>
  /** Aborting stops reading and closes the connection; the iterator throws the signal's reason. */
  signal?: AbortSignal
  /** The `fetch` to use (default: the global one). */
  fetch?: typeof fetch
  /** How many times a dropped connection is resumed (default 5; 0: never). Needs `id:` lines. */
  maxReconnects?: number
  /** Wait before a reconnect; default: the stream's `retry:` hint, else 1000 ms. */
  reconnectDelayMs?: number
  /** Each time a response starts streaming: `streamId` is the `X-Stream-Id` header (null when absent or not exposed by CORS). */
  onOpen?(info: { streamId: string | null; resumed: boolean }): void
  /** Before each reconnect, e.g. to show "reconnecting…". */
  onReconnect?(info: { attempt: number; lastEventId: string; error: unknown }): void
}

/** Joins the gateway URL (which may carry a path prefix) with an API path. */
function endpoint(baseUrl: string | URL, path: string): URL {
  const base = new URL(baseUrl)
  if (!base.pathname.endsWith('/')) base.pathname += '/'
  base.search = ''
  return new URL(path, base)
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const done = () => {
      signal?.removeEventListener('abort', abort)
      resolve()
    }
    const timer = setTimeout(done, ms)
    const abort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    signal?.addEventListener('abort', abort, { once: true })
  })
}

/** Turns one SSE event into what the iterator yields; throws on an error event. */
function toChatEvents(event: SseEvent, out: StreamChatEvent[]): boolean {
  let message: { chunk?: unknown; done?: unknown; error?: unknown; request_id?: unknown; [field: string]: unknown }
  try {
    message = JSON.parse(event.data) as typeof message
  } catch (cause) {
    throw new StreamChatError('protocol', `the gateway sent data that is not JSON: ${event.data.slice(0, 200)}`, {
      cause,
    })
  }
  if (message.error !== undefined && message.error !== null && message.error !== false) {
    const text = typeof message.error === 'string' ? message.error : JSON.stringify(message.error)
    const requestId = typeof message.request_id === 'string' ? message.request_id : undefined
    throw new StreamChatError('event', text, { requestId })
  }
  if (typeof message.chunk === 'string' && message.chunk !== '') {
    out.push(event.id ? { type: 'text', text: message.chunk, id: event.id } : { type: 'text', text: message.chunk })
  }
  if (message.done !== true) return false
  const { chunk: _chunk, done: _done, ...fields } = message
  out.push({ ...fields, type: 'done' })
  return true
}

export async function* streamChat(
  input: ChatInput,
  options: StreamChatOptions,
): AsyncGenerator<StreamChatEvent, void, undefined> {
  const doFetch = options.fetch ?? fetch
  const { signal } = options
  const url = endpoint(options.baseUrl, 'api/stream/chat')
  const body = JSON.stringify(input)
  const maxReconnects = options.maxReconnects ?? 5
  let lastEventId = ''
  let retryMs = 1000
  let attempt = 0

  for (;;) {
    let failure: unknown
    const headers: Record<string, string> = {
      ...options.headers,
      'content-type': 'application/json',
      accept: 'text/event-stream',
    }
    if (lastEventId) headers['last-event-id'] = lastEventId
    const response = await doFetch(url, { method: 'POST', headers, body, signal, cache: 'no-store' }).catch(
      (error: unknown) => {
        failure = error
        return undefined
      },
    )

    if (response && response.status === 204) {
      throw new StreamChatError(
        'connection',
        'the stream was lost and the gateway has nothing to resume (HTTP 204: finished or expired)',
      )
    }
    if (response && !response.ok && !(lastEventId && response.status >= 500)) throw await httpError(response)
    if (response?.ok) {
      const type = response.headers.get('content-type') ?? ''
      if (!type.includes('text/event-stream') || !response.body) {
        await response.body?.cancel()
        throw new StreamChatError(
          'protocol',
          `expected text/event-stream, got ${type || 'no content type'} (HTTP ${response.status})`,
        )
      }
      options.onOpen?.({ streamId: response.headers.get('x-stream-id'), resumed: lastEventId !== '' })
      const reader = response.body.getReader()
      const decoder = new TextDecoder()
      const events: StreamChatEvent[] = []
      let closed = false
      let refused: unknown // an error event: thrown after the pieces that came before it
      const parser = createSseParser({
        onEvent: (event) => {
          if (closed || refused) return
          if (event.id) lastEventId = event.id
          try {
            closed = toChatEvents(event, events)
          } catch (error) {
            refused = error
          }
        },
        onRetry: (ms) => {
          retryMs = ms
        },
      })
      try {
        for (;;) {
          const step = await reader.read()
          if (step.done) break
          parser.push(decoder.decode(step.value, { stream: true }))
          for (let i = 0; i < events.length; i++) yield events[i]!
          events.length = 0
          if (refused) throw refused
          if (closed) return
        }
        parser.push(decoder.decode())
        parser.end()
        for (let i = 0; i < events.length; i++) yield events[i]!
        if (refused) throw refused
        if (closed) return
      } catch (error) {
        if (error instanceof StreamChatError) throw error
        failure = error
      } finally {
        reader.cancel().catch(() => {})
      }
    } else if (response) {
      failure = await httpError(response)
    }

    if (signal?.aborted) throw signal.reason
    if (!lastEventId || attempt >= maxReconnects) {
      const why = failure instanceof Error ? `: ${failure.message}` : ''
      const message = lastEventId
        ? `the connection dropped and ${attempt} reconnects did not finish the stream${why}`
        : response
          ? `the stream ended before its final "done" event${why}`
          : `could not connect to ${url.origin}${why}`
      throw new StreamChatError('connection', message, { cause: failure })
    }
    attempt++
    options.onReconnect?.({ attempt, lastEventId, error: failure })
    await sleep(options.reconnectDelayMs ?? retryMs, signal)
  }
}
