import { errorFrameText } from '../renderers/chat/errors'
import type { RenderSpec } from '../renderers/spec'
import { errorData } from '../sse'
import { decodeBatch, type ObjectMessage, type ProducerMessage } from './copy-messages'
import { StreamLog } from './stream-log'

/** How long a DELETE waits for the producer's cancelled ending before it answers anyway. */
const CANCEL_WAIT_MS = 5000
/** How long a snapshot waits for the producer's state. */
const STATE_WAIT_MS = 2000

/**
 * The message of the ending the object writes when the producer went away before the closing
 * event: on Workers the runtime ends a request about 30 s after its client left, or its isolate
 * was evicted.
 */
export const PRODUCER_LOST =
  'gateway: the answer stopped before it was complete because the worker that ran it ended (a Worker runs at most about 30 s after its client left). Send the request again; to keep long answers running after a disconnect, set RESUME_RUNNER=object.'

/**
 * A stream's copy inside its Durable Object, received from the worker that runs the generation
 * ({@link copyToObject}): a {@link StreamLog} filled from the producer's batches, which every other
 * listener and resume reads, replay then live. It tells the producer how many clients follow it,
 * passes DELETE on, and asks for the renderer's state when a snapshot needs it. When the producer
 * goes away before the closing event, the copy ends with its API's error ending ({@link PRODUCER_LOST}).
 *
 * @example
 * const copy = new ReceivedCopy(streamId, 'seed', server, (log, state) => persist(log, state))
 */
export class ReceivedCopy {
  readonly log: StreamLog
  private readonly socket: WebSocket
  private readonly api: RenderSpec['api']
  private readonly onEnd: (log: StreamLog, state: unknown) => void
  private readonly stateRequests = new Map<number, (state: unknown) => void>()
  private requests = 0
  private readonly ended: Promise<void>
  private markEnded: () => void = () => {}

  constructor(
    streamId: string,
    api: RenderSpec['api'],
    socket: WebSocket,
    onEnd: (log: StreamLog, state: unknown) => void,
  ) {
    this.api = api
    this.socket = socket
    this.onEnd = onEnd
    this.ended = new Promise((resolve) => (this.markEnded = resolve))
    this.log = new StreamLog(streamId, {
      graceMs: 0,
      onListeners: (count) => {
        if (count <= 1) this.tell({ type: 'listeners', count })
      },
    })
    socket.accept()
    // Binary messages as ArrayBuffer (the standard default is Blob, which only reads asynchronously).
    ;(socket as { binaryType?: string }).binaryType = 'arraybuffer'
    socket.addEventListener('message', (event) => this.receive(event.data))
    socket.addEventListener('close', () => this.lost())
    socket.addEventListener('error', () => this.lost())
  }

  /** DELETE: asks the producer to stop, and waits (a while) for its cancelled ending. */
  async cancel(): Promise<void> {
    this.tell({ type: 'cancel' })
    await this.within(this.ended, CANCEL_WAIT_MS)
  }

  /** The renderer's current state from the producer (null for an API that keeps none, or no answer in time). */
  async state(): Promise<unknown> {
    if (this.api !== 'responses' || this.log.finished) return null
    const id = ++this.requests
    const answer = new Promise<unknown>((resolve) => this.stateRequests.set(id, resolve))
    this.tell({ type: 'state?', id })
    const state = await this.within(answer, STATE_WAIT_MS)
    this.stateRequests.delete(id)
    return state ?? null
  }

  /** True once the log holds event `after` or ended; false after `ms`. */
  async caughtUp(after: number, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms
    while (this.log.count < after && !this.log.finished && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    return this.log.count >= after
  }

  private receive(data: unknown): void {
    if (this.log.finished) return
    if (typeof data !== 'string') {
      for (const event of decodeBatch(new Uint8Array(data as ArrayBuffer))) this.log.appendEncoded(event)
      return
    }
    const message = JSON.parse(data) as ProducerMessage
    if (message.type === 'state') this.stateRequests.get(message.id)?.(message.state)
    else this.end(message.state)
  }

  /** The producer went away before its closing event: end the copy with the API's error ending. */
  private lost(): void {
    if (this.log.finished) return
    const { log } = this
    if (this.api === 'seed') log.appendEvent(`data: ${errorData(PRODUCER_LOST)}\n\n`)
    else if (this.api === 'chat') {
      log.appendEvent(errorFrameText(PRODUCER_LOST, 'server_error'))
      log.appendEvent('data: [DONE]\n\n')
    } else {
      const error = { type: 'server_error', code: 'server_error', message: PRODUCER_LOST, param: null }
      const data = { type: 'error', sequence_number: log.count, error }
      log.appendEvent(`event: error\ndata: ${JSON.stringify(data)}\n\n`)
    }
    this.end(null)
  }

  private end(state: unknown): void {
    if (this.log.finished) return
    this.log.close()
    for (const resolve of this.stateRequests.values()) resolve(null)
    this.markEnded()
    this.onEnd(this.log, state)
  }

  private tell(message: ObjectMessage): void {
    try {
      this.socket.send(JSON.stringify(message))
    } catch {
      // The producer is gone: its ending (or ours) closes the log.
    }
  }

  private within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms)
    })
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
  }
}
