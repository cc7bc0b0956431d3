/**
 * A TCP proxy on 127.0.0.1 that drops one SSE connection in the middle of an event, the way a
 * flaky network does: the first connection whose request head matches gets the response bytes up to
 * a few bytes into its Nth `data:` line, then the connection ends (the client sees a truncated body)
 * and the gateway's side is destroyed (it sees its client leave). Every other connection is piped
 * both ways untouched.
 *
 * @example
 * const proxy = await startCuttingProxy(gw.port, { matches: (head) => head.startsWith('POST /v1/chat/completions') })
 * await fetch(`${proxy.url}/v1/chat/completions`, …) // the body breaks off inside its third event
 * proxy.requests // the request head of each matching connection, the cut one first
 * await proxy.close()
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net'

export interface CuttingProxy {
  url: string
  /** The request head (request line and headers) of every connection that matched, in order. */
  readonly requests: string[]
  close(): Promise<void>
}

export interface CutOptions {
  /** Which connection to cut, by its request head (`GET /api/stream/chat-get?…`). */
  matches: (head: string) => boolean
  /** The `data:` line to cut inside (default 3, the third event). */
  inEvent?: number
}

/** How many bytes of the cut event's `\ndata: ` line still reach the client. */
const KEPT_OF_LINE = 12

export async function startCuttingProxy(targetPort: number, options: CutOptions): Promise<CuttingProxy> {
  const inEvent = options.inEvent ?? 3
  const requests: string[] = []
  const sockets = new Set<Socket>()
  let cut = false
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1')
    sockets.add(client).add(upstream)
    let watched = false
    let cutHere = false
    let received = ''
    client.once('data', (head: Buffer) => {
      const text = head.toString('latin1')
      const end = text.indexOf('\r\n\r\n')
      watched = options.matches(text)
      if (watched) requests.push(end >= 0 ? text.slice(0, end) : text)
    })
    client.pipe(upstream)
    upstream.on('data', (bytes: Buffer) => {
      if (watched && !cut) {
        received += bytes.toString('latin1')
        if (received.split('\ndata: ').length > inEvent) {
          cut = true
          cutHere = true
          const at = received.lastIndexOf('\ndata: ') + KEPT_OF_LINE
          const keep = Math.max(0, bytes.byteLength - (received.length - at))
          // end(), not destroy(): what was written reaches the client before the connection closes.
          client.end(bytes.subarray(0, keep))
          upstream.destroy()
          return
        }
      }
      client.write(bytes)
    })
    upstream.on('end', () => client.end())
    const drop = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('error', drop).on('close', drop)
    // The cut connection's client side closes by itself once its last bytes are out.
    upstream.on('error', drop).on('close', () => cutHere || drop())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
