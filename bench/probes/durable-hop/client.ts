/**
 * One GET from the measuring client: node:http on a keep-alive pool, performance.now() at the request,
 * at the first body byte and at the end. The body is kept (it is small) for the check.
 *
 * @example
 * const sample = await timedGet(agent, 'http://127.0.0.1:8787', '/hop?id=a')
 */
import { Agent, request } from 'node:http'
import { performance } from 'node:perf_hooks'

export interface Sample {
  status: number
  /** ms from sending the request to the first body byte. */
  ttfb: number
  /** ms to the end of the body. */
  total: number
  body: string
}

export const pool = (sockets: number) => new Agent({ keepAlive: true, maxSockets: sockets })

export function timedGet(agent: Agent, base: string, path: string, timeoutMs = 30_000): Promise<Sample> {
  const { hostname, port } = new URL(base)
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    let first = 0
    const chunks: Buffer[] = []
    const req = request({ host: hostname, port, path, agent, method: 'GET' }, (res) => {
      res.on('data', (chunk: Buffer) => {
        if (first === 0) first = performance.now()
        chunks.push(chunk)
      })
      res.on('end', () => {
        const end = performance.now()
        resolve({
          status: res.statusCode ?? 0,
          ttfb: (first || end) - t0,
          total: end - t0,
          body: Buffer.concat(chunks).toString('utf8'),
        })
      })
      res.on('error', reject)
    })
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer to ${path} within ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end()
  })
}
