/**
 * A round-robin TCP proxy on 127.0.0.1, the simplest load balancer: each new connection goes to
 * the next backend in turn and its bytes are piped both ways untouched. Counts the connections
 * each backend got, so a test can tell that its requests were spread across all of them. A
 * client that wants one request per backend must open a new connection per request.
 *
 * @example
 * const proxy = await startRoundRobinProxy([gw1.port, gw2.port, gw3.port])
 * await getOnce(`${proxy.url}/health`) // gw1; the next connection gw2, then gw3, then gw1…
 * proxy.connections // [1, 0, 0]
 * await proxy.close()
 */
import { request } from 'node:http'
import { connect, createServer, type Socket } from 'node:net'

export interface RoundRobinProxy {
  url: string
  port: number
  /** Connections sent to each backend so far, in the order of the ports given. */
  readonly connections: readonly number[]
  close(): Promise<void>
}

export function startRoundRobinProxy(backendPorts: number[]): Promise<RoundRobinProxy> {
  const connections = backendPorts.map(() => 0)
  const open = new Set<Socket>()
  let next = 0
  const server = createServer((client) => {
    const index = next
    next = (next + 1) % backendPorts.length
    connections[index]!++
    const backend = connect({ host: '127.0.0.1', port: backendPorts[index]! })
    for (const socket of [client, backend]) {
      open.add(socket)
      socket.on('close', () => open.delete(socket))
    }
    client.on('error', () => backend.destroy())
    backend.on('error', () => client.destroy())
    client.pipe(backend)
    backend.pipe(client)
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        connections,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of open) socket.destroy()
            server.close(() => done())
          }),
      })
    })
  })
}

export interface PlainResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/**
 * GET on a connection of its own (`fetch` would reuse one kept-alive connection, so a proxy
 * that balances connections would send every request to the same backend).
 */
export function getOnce(url: string): Promise<PlainResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      res.on('error', reject)
    })
    req.setTimeout(30_000, () => req.destroy(new Error(`GET ${url}: no answer within 30 s`)))
    req.on('error', reject)
    req.end()
  })
}
