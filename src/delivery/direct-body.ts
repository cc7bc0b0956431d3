import type { EventWriter } from '../canonical/renderer'
import type { Generation } from '../engine/generation'
import type { RequestRecord } from '../observability/request-record'
import { OPEN_EVENT, PING_EVENT } from '../sse'
import { type Periodic, ticker } from '../timers/ticker'

const encoder = new TextEncoder()

/**
 * An {@link EventWriter} for a response body: events go straight to the body's controller, or wait
 * in a list until the body starts (the events of the first upstream read, on APIs whose headers leave
 * after the first output).
 */
export class DirectWriter implements EventWriter {
  controller: ReadableStreamDefaultController<Uint8Array> | undefined
  pending: Uint8Array[] = []
  /** Events written: the ping timer sends a ping only when this did not move. */
  count = 0

  event(text: string): number {
    const bytes = encoder.encode(text)
    this.write(bytes)
    return bytes.byteLength
  }

  events(bytes: Uint8Array): void {
    this.write(bytes)
  }

  private write(bytes: Uint8Array): void {
    this.count++
    if (this.controller) this.controller.enqueue(bytes)
    else this.pending.push(bytes)
  }
}

export interface DirectBodyOptions {
  /** A `: ping` comment goes out when nothing else went out for about this long. */
  pingIntervalMs: number
  /** Start with a `: open` comment, so runtimes that wait for body bytes send the headers at once. */
  open?: boolean
  /** Writes the request's one log line when the stream ends, fails or the client leaves. */
  record: RequestRecord
}

/**
 * An answer as a response body, read from the upstream only as fast as the client reads (pull-based,
 * so a slow client slows the upstream read instead of filling memory); cancelling it (the client
 * left) closes the upstream request.
 *
 * @example
 * const writer = new DirectWriter()
 * const generation = new Generation(plan, createSeedRenderer(writer, record))
 * return sseResponse(directBody(generation, writer, { pingIntervalMs: 15_000, record }))
 */
export function directBody(
  generation: Generation,
  writer: DirectWriter,
  options: DirectBodyOptions,
): ReadableStream<Uint8Array> {
  options.record.streaming = true
  return new ReadableStream<Uint8Array>(new DirectSource(generation, writer, options))
}

/** The body's source and its ping task in one object (methods, no closures: an open stream holds one). */
class DirectSource implements Periodic {
  private readonly generation: Generation
  private readonly writer: DirectWriter
  private readonly options: DirectBodyOptions
  private countAtPing = 0
  private closed = false

  constructor(generation: Generation, writer: DirectWriter, options: DirectBodyOptions) {
    this.generation = generation
    this.writer = writer
    this.options = options
  }

  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    const { writer } = this
    writer.controller = controller
    if (this.options.open) controller.enqueue(OPEN_EVENT)
    for (const bytes of writer.pending) controller.enqueue(bytes)
    writer.pending = []
    if (this.generation.finished) return this.end(this.outcome(), controller)
    ticker.start(this, this.options.pingIntervalMs)
  }

  async pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    const { generation, writer } = this
    // A step may bring nothing to send (a usage event, thoughts, a retry): read on until something went out.
    const before = writer.count
    while (writer.count === before && (await generation.step())) {}
    if (generation.finished) this.end(this.outcome(), controller)
  }

  cancel(reason: unknown): void {
    this.generation.abort(reason ?? new DOMException('The client closed the connection', 'AbortError'))
    this.end('client_left')
  }

  tick(): void {
    const { writer } = this
    if (writer.count === this.countAtPing) writer.controller!.enqueue(PING_EVENT)
    this.countAtPing = writer.count
  }

  private outcome(): string {
    return this.generation.succeeded ? 'done' : 'error'
  }

  private end(outcome: string, controller?: ReadableStreamDefaultController<Uint8Array>): void {
    if (this.closed) return
    this.closed = true
    ticker.stop(this)
    if (controller) controller.close()
    const { record } = this.options
    record.set({ attempts: this.generation.attempts })
    record.finish(outcome, 200)
  }
}

/** Steps until the renderer wrote something or the answer ended: the output a response waits for. */
export async function untilFirstOutput(generation: Generation): Promise<void> {
  while (generation.renderer.written === 0 && (await generation.step())) {}
}

/** Steps to the end: a whole answer. The client leaving (`signal`) stops it. */
export async function runToEnd(generation: Generation, signal?: AbortSignal): Promise<void> {
  const stop = (): void => generation.abort(signal?.reason)
  signal?.addEventListener('abort', stop, { once: true })
  try {
    while (await generation.step()) {}
  } finally {
    signal?.removeEventListener('abort', stop)
  }
}
