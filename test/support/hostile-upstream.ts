/**
 * A hostile upstream for the black-box limit tests (test/e2e/upstream-limits.e2e.test.ts): a node:http
 * server that answers `POST /v1/chat/completions` (OpenAI) and `POST /v1beta/models/<model>:streamGenerateContent`
 * (Gemini) with "Hi" and then whatever the model name `<mode>-<anything>` asks for:
 *
 * - `endless`: one line that never ends (up to `endlessBytes` at full speed, then silence, connection open)
 * - `oversize`: one complete event twice `limit`; `straddle`: one just over it, in two writes each under it
 * - `fits`: one event of `limit / 2` characters (instead of "Hi"), sent in 1000-byte writes, then the finish
 * - `flood`: an endless stream of small valid events ({@link FLOOD_TEXT} each, up to `endlessBytes`, then silence)
 *
 * Writes respect backpressure, so `written` is what the gateway took (plus what the sockets buffer).
 *
 * @example
 * const upstream = await startHostileUpstream({ limit: 64 * 1024, endlessBytes: 128 * 1024 * 1024 })
 * // gateway: OPENAI_BASE_URL=${upstream.url}/v1, GEMINI_BASE_URL=${upstream.url}; model 'flood-1'
 * upstream.calls.get('flood-1')?.written
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Provider = 'openai' | 'gemini'
export type Mode = 'endless' | 'oversize' | 'straddle' | 'fits' | 'flood'

/** The text of each event of a flood: small, and about as long as its event's framing. */
export const FLOOD_TEXT = 'flood '.repeat(16)

export interface UpstreamCall {
  provider: Provider
  /** Bytes the upstream handed to its socket. */
  written: number
  /** When the gateway closed the connection before the upstream ended the response. */
  closedEarlyAt?: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** One SSE event with text, as each provider frames it. */
export const textEvent = (provider: Provider, text: string) =>
  provider === 'openai'
    ? `data: {"choices":[{"index":0,"delta":{"content":"${text}"},"finish_reason":null}]}\n\n`
    : `data: {"candidates": [{"content": {"parts": [{"text": "${text}"}],"role": "model"}}]}\r\n\r\n`

/** The events that finish an answer, as each provider frames them. */
export const finishEvents = (provider: Provider) =>
  provider === 'openai'
    ? 'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'
    : 'data: {"candidates": [{"content": {"parts": [{"text": ""}],"role": "model"},"finishReason": "STOP"}]}\r\n\r\n'

export async function startHostileUpstream(options: { limit: number; endlessBytes: number }) {
  const { limit, endlessBytes } = options
  const calls = new Map<string, UpstreamCall>()
  const server: Server = createServer(async (req, res) => {
    let body = ''
    for await (const piece of req) body += piece
    const path = new URL(req.url ?? '/', 'http://upstream').pathname
    const gemini = /^\/v1beta\/models\/([^/]+):streamGenerateContent$/.exec(path)
    const provider: Provider | undefined =
      req.method !== 'POST' ? undefined : path === '/v1/chat/completions' ? 'openai' : gemini ? 'gemini' : undefined
    if (!provider) return void res.writeHead(404).end()
    const model: string = provider === 'openai' ? JSON.parse(body).model : decodeURIComponent(gemini![1]!)
    const call: UpstreamCall = { provider, written: 0 }
    calls.set(model, call)
    let closed = false
    res.on('close', () => {
      closed = true
      if (!res.writableFinished) call.closedEarlyAt = Date.now()
    })
    const write = (text: string) =>
      new Promise<boolean>((resolve) => {
        if (closed) return resolve(false)
        call.written += text.length
        if (res.write(text)) return setImmediate(() => resolve(!closed))
        const go = () => {
          res.off('drain', go).off('close', go)
          resolve(!closed)
        }
        res.on('drain', go).on('close', go)
      })
    const writeSliced = async (text: string, size: number) => {
      for (let at = 0; at < text.length; at += size) if (!(await write(text.slice(at, at + size)))) return false
      return true
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    const mode = model.split('-')[0] as Mode
    if (mode === 'fits') {
      await writeSliced(textEvent(provider, 'c'.repeat(limit / 2)) + finishEvents(provider), 1000)
      return void res.end()
    }
    await write(textEvent(provider, 'Hi'))
    if (mode === 'oversize') {
      if (await writeSliced(textEvent(provider, 'b'.repeat(2 * limit)), 8192)) await write(finishEvents(provider))
      return void res.end()
    }
    if (mode === 'straddle') {
      // Just over the limit, in two writes each under it: the second completes the event in one read.
      const event = textEvent(provider, 'b'.repeat(limit + 4096))
      if (await write(event.slice(0, limit - 4096))) {
        await sleep(100)
        if (await write(event.slice(limit - 4096))) await write(finishEvents(provider))
      }
      return void res.end()
    }
    if (mode === 'flood') {
      // About 16 KiB of whole events per write; then silence with the connection open.
      const batch = textEvent(provider, FLOOD_TEXT).repeat(Math.ceil(16_384 / textEvent(provider, FLOOD_TEXT).length))
      while (call.written < endlessBytes && (await write(batch))) {}
      return
    }
    // endless: one line that never ends, then silence with the connection open.
    const piece = 'a'.repeat(16 * 1024)
    if (await write('data: {"x":"')) while (call.written < endlessBytes && (await write(piece))) {}
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => {
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export type HostileUpstream = Awaited<ReturnType<typeof startHostileUpstream>>
