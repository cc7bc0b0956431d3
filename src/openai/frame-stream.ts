import type { ProviderName } from '../env'
import type { RequestRecord } from '../observability/request-record'
import { type ProviderError, truncatedError } from '../providers/errors'
import { describeFailure, errorFrame } from './errors'
import type { FrameSource } from './frame-source'

/**
 * The body of a streamed chat completion: ONE pull-based stream that reads the upstream body and
 * hands each read to the {@link FrameSource} (pass-through or translation), which enqueues the
 * frames at once. A slow client slows the upstream read; a `: ping` comment goes out while the
 * upstream is quiet; a failure after the first frame is an error frame the openai SDKs raise.
 * Cancelling the body (the client left) aborts the upstream request. The request's record
 * counts frames and bytes and writes the one log line when the stream ends, fails or is left.
 *
 * @example
 * const opened = await firstFrames(reader, source, abort, 'gemini') // throws: nothing was sent, retry
 * return new Response(frameStream(reader, source, opened, options), { headers: STREAM_HEADERS })
 */

export interface FrameStreamOptions {
  /** The attempt's controller: aborted when the client leaves, the upstream is silent or time is up. */
  abort: AbortController
  provider: ProviderName
  pingIntervalMs: number
  idleTimeoutMs: number
  idleError: () => ProviderError
  record: RequestRecord
  /** Called once when the stream ended, however it ended. */
  onEnd?: () => void
}

type Reader = ReadableStreamDefaultReader<Uint8Array>

const PING = new TextEncoder().encode(': ping\n\n')

export const STREAM_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
}

/** The reason the attempt was aborted with (a timeout, the client), else the error itself. */
export function failureOf(abort: AbortController, error: unknown): unknown {
  return abort.signal.aborted ? abort.signal.reason : error
}

async function read(reader: Reader, abort: AbortController, provider: ProviderName) {
  try {
    return await reader.read()
  } catch (error) {
    if (abort.signal.aborted) throw abort.signal.reason
    throw error instanceof Error && error.name === 'AbortError' ? error : truncatedError(provider, error)
  }
}

export interface OpenedFrames {
  frames: Uint8Array[]
  /** A failure reported in the same read as the first frames: it follows them as an error frame. */
  failure?: unknown
  done: boolean
}

/** Reads until the first frames. Nothing has gone to the client yet: a failure throws (and may be retried). */
export async function firstFrames(
  reader: Reader,
  source: FrameSource,
  abort: AbortController,
  provider: ProviderName,
): Promise<OpenedFrames> {
  const frames: Uint8Array[] = []
  const emit = (frame: Uint8Array) => frames.push(frame)
  for (;;) {
    let done = false
    try {
      const step = await read(reader, abort, provider)
      done = step.done
      if (done) source.end(emit)
      else done = source.push(step.value!, emit)
    } catch (error) {
      if (frames.length === 0) throw failureOf(abort, error)
      return { frames, failure: failureOf(abort, error), done: true }
    }
    if (frames.length > 0 || done) return { frames, done }
  }
}

export function frameStream(
  reader: Reader,
  source: FrameSource,
  opened: OpenedFrames,
  options: FrameStreamOptions,
): ReadableStream<Uint8Array> {
  const { abort, record, pingIntervalMs, idleTimeoutMs } = options
  record.streaming = true
  let controller!: ReadableStreamDefaultController<Uint8Array>
  let sent = 0
  let sentAtTick = 0
  let lastFrameAt = Date.now()
  let lastSentAt = lastFrameAt
  let timer: ReturnType<typeof setInterval> | undefined
  let ended = false

  const emit = (frame: Uint8Array): void => {
    sent++
    record.piece(frame.byteLength)
    controller.enqueue(frame)
  }
  const end = (outcome: 'done' | 'error' | 'client_left'): void => {
    if (ended) return
    ended = true
    clearInterval(timer)
    if (outcome === 'done') record.closing(source.summary())
    record.finish(outcome, 200)
    options.onEnd?.()
  }
  const finish = (): void => {
    controller.close()
    // After `[DONE]` the upstream has nothing left to say: its body is let go (a no-op at its end).
    reader.cancel().catch(() => {})
    end('done')
  }
  const fail = (error: unknown): void => {
    const failure = failureOf(abort, error)
    const { message, code } = describeFailure(failure)
    controller.enqueue(errorFrame(record.fail(failure, message), code, record.requestId))
    controller.close()
    reader.cancel().catch(() => {})
    end('error')
  }
  /** The idle timeout and the pings, to the tick: the hot path only counts frames. */
  const tick = (): void => {
    const now = Date.now()
    if (sent !== sentAtTick) {
      sentAtTick = sent
      lastFrameAt = lastSentAt = now
    }
    if (now - lastFrameAt >= idleTimeoutMs) {
      clearInterval(timer)
      abort.abort(options.idleError())
    } else if (now - lastSentAt >= pingIntervalMs) {
      lastSentAt = now
      controller.enqueue(PING)
    }
  }

  return new ReadableStream<Uint8Array>({
    start(streamController) {
      controller = streamController
      for (const frame of opened.frames) emit(frame)
      if (opened.failure !== undefined) return fail(opened.failure)
      if (opened.done) return finish()
      timer = setInterval(tick, Math.max(10, Math.min(pingIntervalMs, idleTimeoutMs) / 4))
    },

    async pull() {
      if (ended) return
      try {
        // A read may complete no event (a partial one, thoughts only): read on until a frame went out.
        for (const before = sent; sent === before; ) {
          const step = await read(reader, abort, options.provider)
          if (step.done) {
            source.end(emit)
            return finish()
          }
          if (source.push(step.value!, emit)) return finish()
        }
      } catch (error) {
        if (!ended) fail(error)
      }
    },

    cancel(reason) {
      abort.abort(reason ?? new DOMException('The client closed the connection', 'AbortError'))
      reader.cancel(reason).catch(() => {})
      end('client_left')
    },
  })
}
