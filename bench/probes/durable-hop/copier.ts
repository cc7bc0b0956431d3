/**
 * The alternative design's copy: the worker serves its client and sends the object every event in
 * batches of `size`, either as messages on one WebSocket (opened with `stub.fetch` + `Upgrade`, at once
 * or at the first batch) or as one `stub.fetch` POST per batch, in order. The client's stream never
 * waits for the copy.
 *
 * @example
 * const copy = batchedCopy(10, socketSender(stub)); copy.add(bytes); ctx.waitUntil(copy.end())
 */
import { concat } from './events.ts'
import type { HopStub } from './types.ts'

const ORIGIN = 'https://hop.internal'

export interface Sender {
  send(batch: Uint8Array<ArrayBuffer>): void
  /** Resolves when every batch was handed over and the channel is closed. */
  close(): Promise<void>
}

/**
 * One WebSocket to the object, opened at once (`lazy`: at the first batch); batches sent before it is
 * open wait for it, in order.
 */
export function socketSender(stub: HopStub, lazy = false): Sender {
  const connect = () =>
    stub.fetch(`${ORIGIN}/ws`, { headers: { upgrade: 'websocket' } }).then((response) => {
      const ws = response.webSocket
      if (!ws) throw new Error(`the object did not accept a WebSocket (HTTP ${response.status})`)
      ws.accept()
      return ws
    })
  let socket = lazy ? undefined : connect()
  let last: Promise<unknown> = Promise.resolve()
  return {
    send(batch) {
      socket ??= connect()
      last = socket.then((ws) => ws.send(batch))
    },
    close: async () => {
      await last
      ;(await socket)?.close(1000, 'done')
    },
  }
}

/** One POST per batch, each sent after the previous one was answered. */
export function postSender(stub: HopStub): Sender {
  let chain: Promise<unknown> = Promise.resolve()
  return {
    send(batch) {
      chain = chain.then(() =>
        stub.fetch(`${ORIGIN}/copy`, { method: 'POST', body: batch }).then((response) => response.arrayBuffer()),
      )
    },
    close: async () => {
      await chain
    },
  }
}

export function batchedCopy(size: number, sender: Sender): { add(event: Uint8Array): void; end(): Promise<void> } {
  let pending: Uint8Array[] = []
  const flush = () => {
    if (pending.length > 0) sender.send(concat(pending))
    pending = []
  }
  return {
    add(event) {
      pending.push(event)
      if (pending.length >= size) flush()
    },
    end() {
      flush()
      return sender.close()
    },
  }
}
