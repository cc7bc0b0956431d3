import { withId } from '../sse'
import { eventId } from './event-id'

const encoder = new TextEncoder()
const LF = 0x0a
const CR = 0x0d

/** The index just after the first event boundary (a blank line) at or after `from`, 0 if none. */
function nextEventEnd(bytes: Uint8Array, from: number): number {
  for (let i = from + 1; i < bytes.length; i++) {
    if (bytes[i] !== LF) continue
    if (bytes[i - 1] === LF) return i + 1
    if (bytes[i - 1] === CR && i >= 3 && bytes[i - 2] === LF && bytes[i - 3] === CR) return i + 1
  }
  return 0
}

/** Where a log delivers events: one per client connection. */
export interface LogSink {
  push(bytes: Uint8Array): void
  /** The closing event was pushed; nothing follows. */
  close(): void
}

export interface StreamLogOptions {
  /** How long the stream may have no listener before {@link StreamLogOptions.onDeserted} (0: at once). */
  graceMs: number
  /** Nobody listened for the whole grace while the stream was still open. */
  onDeserted?: () => void
}

/**
 * The events of one stream, in order, each encoded once as `id: <stream id>:<n>\ndata: <json>\n\n`,
 * and the listeners following it. A listener attached after event k gets k+1… from the buffer, then
 * the rest live, then the closing event: every event exactly once, in order. Store-agnostic: the
 * in-memory store and the Durable Object both keep one per stream.
 *
 * @example
 * const log = new StreamLog(streamId, { graceMs: 10_000, onDeserted: () => generation.abort() })
 * log.append(chunkData('Hi'))
 * const detach = log.attach(0, { push: (bytes) => controller.enqueue(bytes), close: () => controller.close() })
 * log.finish(doneData({ finish_reason: 'stop' }))
 */
export class StreamLog {
  /** Event n is at index n - 1. */
  readonly events: Uint8Array[]
  /** Bytes held by {@link events}. */
  bytes = 0
  /** When the closing event was added (0: still open). */
  finishedAt = 0

  private readonly sinks = new Set<LogSink>()
  /** Sinks that follow every event but are not listeners (they never hold the grace off). */
  private readonly observers: LogSink[] = []
  private grace: ReturnType<typeof setTimeout> | undefined
  readonly streamId: string
  private readonly options: StreamLogOptions

  constructor(streamId: string, options: StreamLogOptions, events: Uint8Array[] = []) {
    this.streamId = streamId
    this.options = options
    this.events = events
    for (const event of events) this.bytes += event.byteLength
  }

  /** A finished log rebuilt from stored events (e.g. after a Durable Object was evicted). */
  static restored(streamId: string, events: Uint8Array[], finishedAt: number): StreamLog {
    const log = new StreamLog(streamId, { graceMs: 0 }, events)
    log.finishedAt = finishedAt
    return log
  }

  get count(): number {
    return this.events.length
  }

  get finished(): boolean {
    return this.finishedAt !== 0
  }

  get listeners(): number {
    return this.sinks.size
  }

  /** Adds an event (its JSON) and hands its bytes to every listener; returns its size in bytes. */
  append(data: string): number {
    if (this.finished) return 0
    return this.push(withId(eventId(this.streamId, this.events.length + 1), data))
  }

  private push(bytes: Uint8Array): number {
    this.events.push(bytes)
    this.bytes += bytes.byteLength
    for (const sink of this.sinks) sink.push(bytes)
    for (const observer of this.observers) observer.push(bytes)
    return bytes.byteLength
  }

  /** Adds one whole event (`data: …\n\n`, or with `event:` lines) under the next id; returns its size in bytes. */
  appendEvent(text: string): number {
    if (this.finished) return 0
    return this.push(encoder.encode(`id: ${eventId(this.streamId, this.events.length + 1)}\n${text}`))
  }

  /** Adds whole events given as bytes (a provider's own frames), each under an id of its own. */
  appendEvents(bytes: Uint8Array): void {
    if (this.finished) return
    let start = 0
    for (let end = nextEventEnd(bytes, 0); end > 0; end = nextEventEnd(bytes, start)) {
      const id = encoder.encode(`id: ${eventId(this.streamId, this.events.length + 1)}\n`)
      const event = new Uint8Array(id.byteLength + end - start)
      event.set(id)
      event.set(bytes.subarray(start, end), id.byteLength)
      this.push(event)
      start = end
    }
  }

  /** Adds the closing event and closes every listener. Once only. */
  finish(data: string): void {
    if (this.finished) return
    this.append(data)
    this.close()
  }

  /** The closing event is in the log: closes every listener. Once only. */
  close(): void {
    if (this.finished) return
    this.finishedAt = Date.now()
    this.stopGrace()
    for (const sink of this.sinks) sink.close()
    this.sinks.clear()
    for (const observer of this.observers) observer.close()
    this.observers.length = 0
  }

  /**
   * Hands every event, from the first, and the end to `sink` without counting it as a listener (the
   * grace runs as if it were not there): e.g. a copy of the stream kept elsewhere.
   */
  observe(sink: LogSink): void {
    for (const event of this.events) sink.push(event)
    if (this.finished) sink.close()
    else this.observers.push(sink)
  }

  /** Replays the events after `after`, then follows live. Returns the function that detaches the sink. */
  attach(after: number, sink: LogSink): () => void {
    for (let i = Math.max(0, after); i < this.events.length; i++) sink.push(this.events[i]!)
    if (this.finished) {
      sink.close()
      return () => {}
    }
    this.stopGrace()
    this.sinks.add(sink)
    return () => this.detach(sink)
  }

  private detach(sink: LogSink): void {
    if (!this.sinks.delete(sink) || this.sinks.size > 0 || this.finished) return
    const { graceMs, onDeserted } = this.options
    if (!onDeserted) return
    if (graceMs === 0) onDeserted()
    else this.grace = setTimeout(onDeserted, graceMs)
  }

  private stopGrace(): void {
    if (this.grace === undefined) return
    clearTimeout(this.grace)
    this.grace = undefined
  }
}
