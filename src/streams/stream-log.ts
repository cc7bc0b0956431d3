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
  /** MAX_STREAM_BYTES: the most bytes the events before the ending may take (unbounded when absent). */
  maxBytes?: number
  /**
   * An event did not fit in {@link maxBytes}: it was not added, and the stream must end now. The bound is
   * lifted for the call, so that the ending (an error event) can be written before {@link StreamLog.close}.
   */
  onOverflow?: () => void
  /** Each event's size as it is added, the closing one too: a store keeps its running total with it. */
  onGrow?: (bytes: number) => void
  /** The number of listeners changed (a copy tells the stream's producer, whose grace they hold off). */
  onListeners?: (listeners: number) => void
}

/** A finished log as it is kept: every event in one buffer, `ends[i]` where event i + 1 ends. */
export interface PackedEvents {
  bytes: Uint8Array
  ends: Uint32Array
}

const FINISHED: StreamLogOptions = { graceMs: 0 }

/**
 * The events of one stream, in order, each encoded once as `id: <stream id>:<n>\ndata: <json>\n\n`,
 * and the listeners following it. A listener attached after event k gets k+1… from the buffer, then
 * the rest live, then the closing event: every event exactly once, in order. Store-agnostic: the
 * in-memory store and the Durable Object both keep one per stream.
 *
 * While the stream runs, each event is its own array; at the closing event they are packed into one
 * buffer with an offsets array ({@link packed}), and the callbacks (which hold the generation) are let go,
 * so a finished stream kept for resuming costs its bytes and little else.
 *
 * @example
 * const log = new StreamLog(streamId, { graceMs: 10_000, onDeserted: () => generation.abort() })
 * log.append(chunkData('Hi'))
 * const detach = log.attach(0, { push: (bytes) => controller.enqueue(bytes), close: () => controller.close() })
 * log.finish(doneData({ finish_reason: 'stop' }))
 */
export class StreamLog {
  /** Bytes of every event held, the closing one included. */
  bytes = 0
  /** When the closing event was added (0: still open). */
  finishedAt = 0
  readonly streamId: string

  /** Event n is at index n - 1 while the stream runs; empty once packed. */
  private open: Uint8Array[] = []
  private packedEvents: PackedEvents | undefined
  private readonly sinks = new Set<LogSink>()
  /** Sinks that follow every event but are not listeners (they never hold the grace off). */
  private readonly observers: LogSink[] = []
  private grace: ReturnType<typeof setTimeout> | undefined
  private options: StreamLogOptions

  constructor(streamId: string, options: StreamLogOptions) {
    this.streamId = streamId
    this.options = options
  }

  /** A finished log rebuilt from its packed events (e.g. from storage after a Durable Object was evicted). */
  static restored(streamId: string, packed: PackedEvents, finishedAt: number): StreamLog {
    const log = new StreamLog(streamId, FINISHED)
    log.packedEvents = packed
    log.bytes = packed.bytes.byteLength
    log.finishedAt = finishedAt
    return log
  }

  get count(): number {
    return this.packedEvents ? this.packedEvents.ends.length : this.open.length
  }

  get finished(): boolean {
    return this.finishedAt !== 0
  }

  get listeners(): number {
    return this.sinks.size
  }

  /** The events in one buffer once the stream finished (undefined before). */
  get packed(): PackedEvents | undefined {
    return this.packedEvents
  }

  /**
   * Adds an event (its JSON) and hands its bytes to every listener; returns its size in bytes. An event
   * that would take the log past `maxBytes` is not added: `onOverflow` is called instead, and 0 returned.
   */
  append(data: string): number {
    if (this.finished) return 0
    return this.take(withId(eventId(this.streamId, this.count + 1), data))
  }

  /** Adds one whole event (`data: …\n\n`, or with `event:` lines) under the next id; returns its size in bytes (0: refused, as {@link append}). */
  appendEvent(text: string): number {
    if (this.finished) return 0
    return this.take(encoder.encode(`id: ${eventId(this.streamId, this.count + 1)}\n${text}`))
  }

  /** Adds whole events given as bytes (a provider's own frames), each under an id of its own, up to `maxBytes` (as {@link append}). */
  appendEvents(bytes: Uint8Array): void {
    if (this.finished) return
    let start = 0
    for (let end = nextEventEnd(bytes, 0); end > 0; end = nextEventEnd(bytes, start)) {
      const id = encoder.encode(`id: ${eventId(this.streamId, this.count + 1)}\n`)
      const event = new Uint8Array(id.byteLength + end - start)
      event.set(id)
      event.set(bytes.subarray(start, end), id.byteLength)
      if (this.take(event) === 0 || this.finished) return
      start = end
    }
  }

  /**
   * Adds an event exactly as another log encoded it (its id line included): a copy of a stream that
   * runs elsewhere. Never refused: the producer's own log applied the bounds.
   */
  appendEncoded(bytes: Uint8Array): void {
    if (!this.finished) this.add(bytes)
  }

  /** Adds the closing event (never refused) and closes the log. Once only. */
  finish(data: string): void {
    if (this.finished) return
    this.add(withId(eventId(this.streamId, this.count + 1), data))
    this.close()
  }

  /** The closing event is in the log: closes every listener, packs the events and lets the callbacks go. Once only. */
  close(): void {
    if (this.finished) return
    this.finishedAt = Date.now()
    this.stopGrace()
    for (const sink of this.sinks) sink.close()
    this.sinks.clear()
    for (const observer of this.observers) observer.close()
    this.observers.length = 0
    this.pack()
    this.options = FINISHED
  }

  /**
   * Hands every event, from the first, and the end to `sink` without counting it as a listener (the
   * grace runs as if it were not there): e.g. a copy of the stream kept elsewhere.
   */
  observe(sink: LogSink): void {
    for (let i = 0; i < this.count; i++) sink.push(this.event(i))
    if (this.finished) sink.close()
    else this.observers.push(sink)
  }

  /** Replays the events after `after`, then follows live. Returns the function that detaches the sink. */
  attach(after: number, sink: LogSink): () => void {
    for (let i = Math.max(0, after); i < this.count; i++) sink.push(this.event(i))
    if (this.finished) {
      sink.close()
      return () => {}
    }
    this.stopGrace()
    this.sinks.add(sink)
    this.options.onListeners?.(this.sinks.size)
    return () => this.detach(sink)
  }

  /** Event i + 1's bytes. */
  private event(i: number): Uint8Array {
    const packed = this.packedEvents
    if (!packed) return this.open[i]!
    return packed.bytes.subarray(i === 0 ? 0 : packed.ends[i - 1], packed.ends[i])
  }

  /** Adds an event within `maxBytes`; past it, refuses it and calls `onOverflow` with the bound lifted. */
  private take(bytes: Uint8Array): number {
    const { maxBytes, onOverflow } = this.options
    if (maxBytes !== undefined && this.bytes + bytes.byteLength > maxBytes) {
      if (onOverflow) {
        this.options = { ...this.options, maxBytes: undefined, onOverflow: undefined }
        onOverflow()
      }
      return 0
    }
    this.add(bytes)
    return bytes.byteLength
  }

  private add(bytes: Uint8Array): void {
    this.open.push(bytes)
    this.bytes += bytes.byteLength
    this.options.onGrow?.(bytes.byteLength)
    for (const sink of this.sinks) sink.push(bytes)
    for (const observer of this.observers) observer.push(bytes)
  }

  private pack(): void {
    const bytes = new Uint8Array(this.bytes)
    const ends = new Uint32Array(this.open.length)
    let offset = 0
    this.open.forEach((event, i) => {
      bytes.set(event, offset)
      offset += event.byteLength
      ends[i] = offset
    })
    this.packedEvents = { bytes, ends }
    this.open = []
  }

  private detach(sink: LogSink): void {
    if (!this.sinks.delete(sink) || this.finished) return
    this.options.onListeners?.(this.sinks.size)
    if (this.sinks.size > 0) return
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
