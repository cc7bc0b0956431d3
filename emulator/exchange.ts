/**
 * One request/response exchange: timed writes (ttft, delay), optional UTF-8 splitting across
 * socket writes, drop/stall faults, and detection of a client that leaves early. Every step
 * updates the request log entry.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ErrorReply } from './errors.ts'
import type { RequestLog, RequestLogEntry } from './log.ts'
import { monotonicMs, type PieceTimes } from './piece-times.ts'
import type { Scenario } from './scenario.ts'

export class Exchange {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly entry: RequestLogEntry
  scenario: Scenario
  private log: RequestLog
  private ended = false
  private selfDestroyed = false
  private closeWaiters = new Set<() => void>()
  private pieceTimes: PieceTimes | undefined
  private pieces: ReturnType<PieceTimes['start']> | undefined
  /** Answer text sent so far (UTF-16 code units), and when the last write began handing bytes to the socket. */
  private textSent = 0
  private lastFlushAt = 0
  /** True once the connection is gone (client left, or the emulator dropped it). */
  closed = false

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    entry: RequestLogEntry,
    log: RequestLog,
    pieceTimes?: PieceTimes,
  ) {
    this.req = req
    this.res = res
    this.entry = entry
    this.log = log
    this.pieceTimes = pieceTimes
    this.scenario = {}
    res.on('close', () => {
      this.closed = true
      if (!this.ended && !this.selfDestroyed) {
        entry.clientClosedEarly = true
        entry.clientClosedAt = Date.now()
      }
      if (entry.finishedAt === null) entry.finishedAt = Date.now()
      for (const w of [...this.closeWaiters]) w()
      log.changed()
    })
  }

  /** Sleeps `ms`, waking early if the connection closes. Resolves false when it closed. */
  wait(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false)
    if (ms <= 0) return Promise.resolve(true)
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.closeWaiters.delete(done)
        resolve(!this.closed)
      }
      const timer = setTimeout(done, ms)
      this.closeWaiters.add(done)
    })
  }

  /** Waits for the time-to-first-token, then sends the status line and headers. */
  async begin(status: number, headers: Record<string, string>): Promise<boolean> {
    if (!(await this.wait(this.scenario.ttft ?? 0))) return false
    this.res.socket?.setNoDelay(true)
    this.res.writeHead(status, headers)
    this.res.flushHeaders()
    this.entry.status = status
    this.entry.headersAt = Date.now()
    this.log.changed()
    return true
  }

  /** Writes one already framed event; with `split`, the first multi-byte character goes out in two writes. */
  async write(text: string): Promise<boolean> {
    if (this.closed) return false
    const bytes = Buffer.from(text, 'utf8')
    const at = this.scenario.split ? bytes.findIndex((b) => b >= 0xc0) : -1
    if (at < 0) return this.flush(bytes)
    if (!(await this.flush(bytes.subarray(0, at + 1)))) return false
    if (!(await this.wait(this.scenario.splitDelay ?? 15))) return false
    return this.flush(bytes.subarray(at + 1))
  }

  /** Writes and waits until Node handed the bytes to the socket. */
  private flush(bytes: Uint8Array): Promise<boolean> {
    if (this.pieceTimes) this.lastFlushAt = monotonicMs()
    return new Promise((resolve) => {
      this.res.write(bytes, (err) => resolve(!err && !this.closed))
    })
  }

  /**
   * Waits long enough (at least 30 ms) that what was written so far reaches the client as its own
   * read, before a fault that must arrive separately (a drop, or Gemini's bare error object).
   */
  gap(): Promise<boolean> {
    return this.wait(Math.max(this.scenario.delay ?? 0, 30))
  }

  /** Waits the per-chunk delay, then writes. */
  async paced(text: string): Promise<boolean> {
    if (!(await this.wait(this.scenario.delay ?? 0))) return false
    return this.write(text)
  }

  /** Counts a content piece (just written) for the log; with piece times on, records when its last bytes went out. */
  sent(piece = ''): void {
    this.entry.chunksSent++
    if (this.pieceTimes) {
      this.pieces ??= this.pieceTimes.start(this.entry.prompt ?? '')
      this.textSent += piece.length
      this.pieces.add(this.textSent, this.lastFlushAt)
    }
    this.log.changed()
  }

  end(outcome: string, text?: string): void {
    if (this.closed) return
    this.entry.outcome ??= outcome
    this.ended = true
    this.res.end(text)
    this.entry.finishedAt = Date.now()
    this.log.changed()
  }

  /** Sends a complete non-streamed reply at once (after ttft). */
  async reply(status: number, contentType: string, body: string, headers: Record<string, string> = {}): Promise<void> {
    if (
      !(await this.begin(status, {
        'content-type': contentType,
        'content-length': String(Buffer.byteLength(body)),
        ...headers,
      }))
    )
      return
    this.end(status >= 400 ? 'error' : 'ok', body)
  }

  /** Sends an error reply immediately (validation and auth errors are not delayed). */
  error(reply: ErrorReply, contentType = reply.contentType): void {
    const body = reply.body
    this.res.writeHead(reply.status, {
      'content-type': contentType,
      'content-length': String(Buffer.byteLength(body)),
      ...reply.headers,
    })
    this.entry.status = reply.status
    this.entry.headersAt = Date.now()
    this.entry.outcome = 'error'
    this.ended = true
    this.res.end(body)
    this.entry.finishedAt = Date.now()
    this.log.changed()
  }

  /** Fault `drop`: destroys the socket mid-stream (no terminator, no final chunk). */
  drop(): void {
    this.entry.outcome = 'drop'
    this.selfDestroyed = true
    this.entry.finishedAt = Date.now()
    this.res.socket?.destroy()
    this.res.destroy()
    this.log.changed()
  }

  /** Fault `stall`: keeps the connection open without writing until the client (or close()) ends it. */
  stall(): Promise<void> {
    this.entry.outcome = 'stall'
    this.log.changed()
    if (this.closed) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        this.closeWaiters.delete(done)
        resolve()
      }
      this.closeWaiters.add(done)
    })
  }
}
