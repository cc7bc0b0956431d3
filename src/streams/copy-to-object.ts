import type { RequestRecord } from '../observability/request-record'
import { encodeBatch, encodeWhole, type ObjectMessage } from './copy-messages'
import type { LiveStream } from './live-stream'
import type { LogSink } from './stream-log'

export interface ObjectCopySettings {
  /** Opens the WebSocket to the stream's Durable Object (`GET /copy`, `Upgrade: websocket`). */
  connect: () => Promise<Response>
  /** Sends a stream that ended before its socket opened, whole, in one request (`POST /copied`, {@link encodeWhole}). */
  sendWhole: (body: Uint8Array<ArrayBuffer>) => Promise<Response>
  /** How long after the stream starts the socket opens (a shorter answer is sent whole when it ends). */
  openAfterMs: number
  /** The starting request's record: a copy that fails says so in its log line (`"replication":"failed"`). */
  record: RequestRecord
  /** How long new events wait to be sent, so that several go in one message. */
  flushMs: number
  /** Keeps the runtime up until the copy is complete (`ctx.waitUntil`). */
  waitUntil: (work: Promise<unknown>) => void
}

export interface ObjectCopy {
  /** The object has listeners: the producer's log holds one stand-in listener for them. */
  readonly holding: boolean
}

/** A listener that takes nothing: the log only counts it (the events reach those clients through the object). */
const STAND_IN: LogSink = { push() {}, close() {} }

/**
 * Copies a stream the worker runs to its Durable Object, off the client's path: the worker's own
 * client reads the local log at once, and what the log added since the last message goes to the
 * object `flushMs` later, several events per message, over one WebSocket. The socket opens
 * `openAfterMs` after the stream started (by then a provider that answers at once has sent its first
 * text, so creating the object does not compete with it); an answer that ends before that goes to the
 * object whole, in one request. The object serves every
 * other listener and resume from the copy and keeps it for RESUME_TTL_MS; it tells the producer when
 * a DELETE arrives (the producer ends the answer), when clients follow the copy (they hold off the
 * grace) and when a snapshot needs the renderer's state.
 *
 * A copy that cannot start or breaks leaves the answer running for its own client, no longer
 * resumable; its log line says `"replication":"failed"` (or, when that line was already written, a
 * line of its own: `{"event":"replication",…,"replication":"failed"}`).
 *
 * @example
 * copyToObject(live, { connect: () => stub.fetch(copyRequest), record, flushMs: 10, waitUntil: ctx.waitUntil.bind(ctx) })
 */
export function copyToObject(live: LiveStream, settings: ObjectCopySettings): ObjectCopy {
  const { log } = live
  let socket: WebSocket | undefined
  let pending: Uint8Array[] = []
  let timer: ReturnType<typeof setTimeout> | undefined
  let ended = false
  let connecting = false
  /** The whole copy, closing event and state included, was handed to the socket. */
  let finished = false
  let failed = false
  let release: (() => void) | undefined
  let complete: () => void = () => {}
  settings.waitUntil(new Promise<void>((resolve) => (complete = resolve)))

  const copy = { holding: false }

  const flush = (): void => {
    timer = undefined
    if (!socket) return open()
    if (pending.length === 0) return
    socket.send(encodeBatch(pending))
    pending = []
  }

  const hold = (listeners: number): void => {
    if (listeners > 0 && !copy.holding && !log.finished) {
      copy.holding = true
      release = log.attach(log.count, STAND_IN)
    } else if (listeners === 0 && copy.holding) {
      copy.holding = false
      release?.()
    }
  }

  const fail = (): void => {
    if (failed || finished) return
    failed = true
    pending = []
    clearTimeout(timer)
    hold(0)
    socket?.close(1011, 'the copy failed')
    complete()
    // Before the end the stream's own log line says so; after it (the copy opens late), a line of its own.
    const { record } = settings
    if (!ended) record.set({ replication: 'failed' })
    else {
      const line = { event: 'replication', request_id: record.requestId, stream_id: log.streamId }
      console.log(JSON.stringify({ ...line, replication: 'failed' }))
    }
  }

  const finish = (live: LiveStream, open: WebSocket): void => {
    finished = true
    clearTimeout(timer)
    flush()
    open.send(JSON.stringify({ type: 'end', state: live.state() }))
    open.close(1000, 'done')
    complete()
  }

  const onMessage = (event: MessageEvent): void => {
    const message = JSON.parse(String(event.data)) as ObjectMessage
    if (message.type === 'cancel') live.cancel()
    else if (message.type === 'listeners') hold(message.count)
    else socket?.send(JSON.stringify({ type: 'state', id: message.id, state: live.state() }))
  }

  log.observe({
    push(bytes) {
      if (failed) return
      pending.push(bytes)
      if (socket && timer === undefined) timer = setTimeout(flush, settings.flushMs)
    },
    close() {
      if (failed) return
      ended = true
      if (socket) finish(live, socket)
      else if (!connecting) sendWhole()
    },
  })
  // From the start, not from the first event: a DELETE or a second listener may come while the
  // upstream still thinks, and the object waits only briefly for a stream it does not know yet.
  timer = setTimeout(flush, settings.openAfterMs)
  return copy

  /** The answer ended before the socket opened: all of it in one request, no socket. */
  function sendWhole(): void {
    clearTimeout(timer)
    finished = true
    const body = encodeWhole(pending, live.state())
    pending = []
    settings
      .sendWhole(body)
      .then((response) => {
        if (response.status !== 204) throw new Error(`the stream object refused the copy (HTTP ${response.status})`)
        complete()
      })
      .catch(() => {
        finished = false
        fail()
      })
  }

  /** Connects to the object once, `openAfterMs` after the stream started. */
  function open(): void {
    if (connecting) return
    connecting = true
    settings
      .connect()
      .then((response) => {
        // Workers only: the socket of an upgraded response.
        const opened = (response as Response & { webSocket?: (WebSocket & { accept(): void }) | null }).webSocket
        if (!opened) throw new Error(`the stream object refused the copy (HTTP ${response.status})`)
        opened.accept()
        opened.addEventListener('message', onMessage)
        opened.addEventListener('close', fail)
        opened.addEventListener('error', fail)
        socket = opened
        if (ended) finish(live, opened)
        else flush()
      })
      .catch(fail)
  }
}
