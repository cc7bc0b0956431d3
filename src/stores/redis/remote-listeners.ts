/**
 * The grace across instances, on the instance that runs a stream: while another instance says it
 * has listeners on the stream (`here`, renewed every presence heartbeat), the local log holds one
 * stand-in listener for them, so it is not deserted. When the last of them says `gone`, or stops
 * renewing for `expiryMs` (its process died), the stand-in leaves and the grace starts from there:
 * the generation is aborted only when no listener on any instance came back within RESUME_GRACE_MS.
 *
 * @example
 * const remote = trackRemoteListeners({ expiryMs: 3000 })
 * remote.here(live.log, 'b7f2')  // a client resumed on instance b7f2: no grace while it listens
 * remote.gone(streamId, 'b7f2')  // it left: the grace starts now
 */
import type { LogSink, StreamLog } from '../../streams/stream-log'

export interface RemoteListeners {
  /** Instance `from` has listeners on `log`'s stream (again). */
  here(log: StreamLog, from: string): void
  /** Instance `from` has none any more. */
  gone(streamId: string, from: string): void
  /** Streams held open for listeners elsewhere. */
  readonly held: number
  close(): void
}

interface Held {
  /** Instance id → when its presence runs out. */
  instances: Map<string, number>
  release: () => void
}

export function trackRemoteListeners(settings: { expiryMs: number; now?: () => number }): RemoteListeners {
  const now = settings.now ?? Date.now
  const held = new Map<string, Held>()

  const forget = (streamId: string, from: string): void => {
    const entry = held.get(streamId)
    if (!entry?.instances.delete(from) || entry.instances.size > 0) return
    held.delete(streamId)
    entry.release()
  }

  const sweep = setInterval(
    () => {
      const at = now()
      for (const [streamId, entry] of held)
        for (const [from, until] of entry.instances) if (until <= at) forget(streamId, from)
    },
    Math.max(50, settings.expiryMs / 3),
  )
  ;(sweep as { unref?: () => void }).unref?.()

  return {
    here(log, from) {
      if (log.finished) return
      const { streamId } = log
      let entry = held.get(streamId)
      if (!entry) {
        // A listener that takes nothing: the log only counts it (the events travel through Redis).
        const standIn: LogSink = { push() {}, close: () => held.delete(streamId) }
        entry = { instances: new Map(), release: () => {} }
        held.set(streamId, entry)
        entry.release = log.attach(log.count, standIn)
      }
      entry.instances.set(from, now() + settings.expiryMs)
    },
    gone: forget,
    get held() {
      return held.size
    },
    close() {
      clearInterval(sweep)
      for (const entry of held.values()) entry.release()
      held.clear()
    },
  }
}
