/**
 * The few Workers runtime types the probe uses, declared here because bench/ is type-checked with
 * Node's and the DOM's types (not @cloudflare/workers-types).
 *
 * @example
 * const stub = env.HOP.get(env.HOP.idFromName('stream-1'))
 */

/** A WebSocket as workerd hands it out (a `WebSocketPair` end, or `Response.webSocket`). */
export interface HopSocket {
  binaryType: 'blob' | 'arraybuffer'
  accept(): void
  send(data: Uint8Array | string): void
  close(code?: number, reason?: string): void
  addEventListener(type: 'message', listener: (event: { data: string | ArrayBuffer }) => void): void
  addEventListener(type: 'close', listener: () => void): void
}

export type HopResponse = Response & { webSocket?: HopSocket | null }

export interface HopStub {
  fetch(input: string, init?: RequestInit): Promise<HopResponse>
}

export interface HopNamespace {
  idFromName(name: string): unknown
  get(id: unknown): HopStub
}

export interface HopEnv {
  HOP: HopNamespace
}

export interface ObjectState {
  storage: { put(key: string, value: unknown): Promise<void> }
}

export interface WorkerContext {
  waitUntil(promise: Promise<unknown>): void
}

/** workerd's `new WebSocketPair()`: two connected ends, 0 for the peer, 1 for this side. */
export function webSocketPair(): [HopSocket, HopSocket] {
  const Pair = (globalThis as unknown as { WebSocketPair: new () => Record<0 | 1, HopSocket> }).WebSocketPair
  const pair = new Pair()
  return [pair[0], pair[1]]
}

/** A 101 answer that hands `socket` to the caller (workerd's `webSocket` response field). */
export function upgradeResponse(socket: HopSocket): Response {
  return new Response(null, { status: 101, webSocket: socket } as ResponseInit)
}
