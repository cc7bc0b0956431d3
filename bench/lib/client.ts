/**
 * One measured stream, from the client's side: node:http (keep-alive), high-resolution time
 * (performance.now()) at the request, at the response headers, at every network read and at
 * the end. The hot path only stores each read and its time; the body is parsed after the
 * stream ended, so parsing never delays the next read nor differs between targets.
 */
import { Agent, request as httpRequest } from 'node:http'
import { performance } from 'node:perf_hooks'

export type Provider = 'openai' | 'gemini'
/**
 * `gateway`, `lean`, `ai-sdk`: POST /api/stream/chat, answered in the gateway's events.
 * `portkey`: its OpenAI-compatible POST /v1/chat/completions (its own request), answered in OpenAI chunks.
 * `passthrough` and `direct`: the provider's own request, answered in the provider's own format.
 */
export type TargetKind = 'gateway' | 'lean' | 'ai-sdk' | 'portkey' | 'passthrough' | 'direct'
/** Targets that answer in the gateway's `data: {"chunk":…,"done":…}` events. */
const EVENT_KINDS: ReadonlySet<TargetKind> = new Set(['gateway', 'lean', 'ai-sdk'])

export interface Target {
  kind: TargetKind
  label: string
  url: string
  agent: Agent
  /** Overrides the request sent; `kind` still says how to read the answer. */
  request?: (provider: Provider, prompt: string) => { path: string; headers: Record<string, string>; body: string }
}

export interface StreamSample {
  ok: boolean
  /** Why the stream failed the correctness check (undefined when ok). */
  failure?: string
  status: number
  /** ms from sending the request to the response headers (the first response byte). */
  ttfb: number
  /** ms to the end of the first event that carries non-empty answer text. */
  ttft: number
  /** ms to the end of the response. */
  total: number
  /** Events that carried answer text. */
  textEvents: number
  /** Network reads (data events) on the client. */
  reads: number
  bytes: number
  /** UTF-8 bytes of the expected answer that did not arrive intact (missing, altered or extra); 0 when ok. */
  lostBytes: number
}

export function makeTarget(
  kind: TargetKind,
  label: string,
  url: string,
  request?: Target['request'],
  maxSockets = 8,
): Target {
  return { kind, label, url, agent: new Agent({ keepAlive: true, maxSockets }), request }
}

/** The request each target gets: the gateway's API, or exactly what the gateway's SDKs send upstream. */
export function requestFor(
  target: Target,
  provider: Provider,
  prompt: string,
): { path: string; headers: Record<string, string>; body: string } {
  if (target.request) return target.request(provider, prompt)
  if (EVENT_KINDS.has(target.kind)) {
    return {
      path: '/api/stream/chat',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_input: prompt, provider }),
    }
  }
  // Direct to the emulator the client must send a key; the pass-through adds it itself, as the gateway does.
  if (provider === 'openai') {
    return {
      path: '/v1/chat/completions',
      headers: {
        'content-type': 'application/json',
        ...(target.kind === 'direct' ? { authorization: 'Bearer emu-key' } : {}),
      },
      body: JSON.stringify({
        model: 'gpt-4.1-mini',
        messages: [{ role: 'user', content: prompt }],
        stream: true,
        stream_options: { include_usage: true },
      }),
    }
  }
  return {
    path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    headers: {
      'content-type': 'application/json',
      ...(target.kind === 'direct' ? { 'x-goog-api-key': 'emu-key' } : {}),
    },
    body: JSON.stringify({ contents: [{ parts: [{ text: prompt }], role: 'user' }], generationConfig: {} }),
  }
}

interface Raw {
  status: number
  t0: number
  tHeaders: number
  tEnd: number
  reads: Buffer[]
  times: number[]
}

function send(
  target: Target,
  provider: Provider,
  prompt: string,
  timeoutMs: number,
  onRead?: (chunk: Buffer) => void,
): Promise<Raw> {
  const { path, headers, body } = requestFor(target, provider, prompt)
  const u = new URL(target.url)
  return new Promise((resolve, reject) => {
    const reads: Buffer[] = []
    const times: number[] = []
    let tHeaders = 0
    let settled = false
    const t0 = performance.now()
    const req = httpRequest(
      {
        host: u.hostname,
        port: u.port,
        method: 'POST',
        path,
        agent: target.agent,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)), accept: 'text/event-stream' },
      },
      (res) => {
        tHeaders = performance.now()
        res.on('data', (chunk: Buffer) => {
          onRead?.(chunk)
          times.push(performance.now())
          reads.push(chunk)
        })
        res.on('end', () => {
          const tEnd = performance.now()
          settled = true
          clearTimeout(timer)
          resolve({ status: res.statusCode ?? 0, t0, tHeaders, tEnd, reads, times })
        })
        res.on('error', (e) => fail(e))
      },
    )
    const fail = (e: Error) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      req.destroy()
      reject(e)
    }
    const timer = setTimeout(() => fail(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs)
    req.on('error', fail)
    req.end(body)
  })
}

interface Parsed {
  text: string
  /** Index (into the joined string) where the first text event ends. */
  firstTextEnd: number
  textEvents: number
  done: boolean
  error?: string
}

/** Parses an SSE body (LF or CRLF framing) the way each target frames it. */
export function parseBody(kind: TargetKind, provider: Provider, body: string): Parsed {
  const out: Parsed = { text: '', firstTextEnd: -1, textEvents: 0, done: false }
  const sep = /\r\n\r\n|\n\n/g
  let start = 0
  let finish: string | null = null
  for (let m = sep.exec(body); m; m = sep.exec(body)) {
    const block = body.slice(start, m.index)
    const end = m.index + m[0].length
    start = end
    const data = block
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).replace(/^ /, ''))
      .join('\n')
    if (data === '') continue // a comment (": ping") or an empty block
    if (out.done) out.error ??= 'an event after the done event'
    let piece = ''
    if (EVENT_KINDS.has(kind)) {
      const ev = JSON.parse(data) as { chunk?: string; done?: boolean; error?: string }
      if (ev.error !== undefined) {
        out.error = ev.error
        out.done = true
      } else if (ev.done) out.done = true
      else piece = ev.chunk ?? ''
    } else if (provider === 'openai' || kind === 'portkey') {
      if (data === '[DONE]') out.done = true
      else {
        const ev = JSON.parse(data) as {
          choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[]
          error?: { message?: string }
        }
        if (ev.error) out.error = ev.error.message ?? 'upstream error'
        piece = ev.choices?.[0]?.delta?.content ?? ''
        finish = ev.choices?.[0]?.finish_reason ?? finish
      }
    } else {
      const ev = JSON.parse(data) as {
        candidates?: { content?: { parts?: { text?: string; thought?: boolean }[] }; finishReason?: string }[]
      }
      const cand = ev.candidates?.[0]
      for (const p of cand?.content?.parts ?? []) if (p.text && !p.thought) piece += p.text
      if (cand?.finishReason) {
        out.done = true
        if (cand.finishReason !== 'STOP') out.error = `finishReason ${cand.finishReason}`
      }
    }
    if (piece !== '') {
      out.text += piece
      out.textEvents++
      if (out.firstTextEnd < 0) out.firstTextEnd = end
    }
  }
  // Portkey's Google path ends with `finish_reason: "stop"` and no `data: [DONE]` (its OpenAI path sends it).
  if (!out.done && kind === 'portkey' && finish === 'stop') out.done = true
  if (body.slice(start).trim() !== '')
    out.error ??= `unterminated trailing data: ${JSON.stringify(body.slice(start, start + 80))}`
  return out
}

export interface MeasureOptions {
  timeoutMs?: number
  /** Called with every network read of the response body (the memory case watches for the first text). */
  onRead?: (chunk: Buffer) => void
}

/** Runs one stream and checks it: 200, ends with the done event, text equal to `expected`. */
export async function measureStream(
  target: Target,
  provider: Provider,
  prompt: string,
  expected: string,
  options: MeasureOptions = {},
): Promise<StreamSample> {
  let raw: Raw
  const expectedBytes = Buffer.byteLength(expected)
  try {
    raw = await send(target, provider, prompt, options.timeoutMs ?? 20_000, options.onRead)
  } catch (error) {
    return {
      ok: false,
      failure: `request failed: ${error instanceof Error ? error.message : String(error)}`,
      status: 0,
      ttfb: NaN,
      ttft: NaN,
      total: NaN,
      textEvents: 0,
      reads: 0,
      bytes: 0,
      lostBytes: expectedBytes,
    }
  }
  // Decode read by read so each character is attributed to the read that completed it.
  const decoder = new TextDecoder()
  const ends: number[] = []
  let body = ''
  for (const chunk of raw.reads) {
    body += decoder.decode(chunk, { stream: true })
    ends.push(body.length)
  }
  body += decoder.decode()
  const bytes = raw.reads.reduce((n, b) => n + b.length, 0)
  const base = {
    status: raw.status,
    ttfb: raw.tHeaders - raw.t0,
    total: raw.tEnd - raw.t0,
    reads: raw.reads.length,
    bytes,
  }
  let parsed: Parsed
  try {
    parsed = parseBody(target.kind, provider, body)
  } catch (error) {
    return {
      ...base,
      ok: false,
      failure: `unparsable body: ${String(error)}`,
      ttft: NaN,
      textEvents: 0,
      lostBytes: expectedBytes,
    }
  }
  let ttft = NaN
  if (parsed.firstTextEnd >= 0) {
    let i = 0
    while (i < ends.length - 1 && ends[i]! < parsed.firstTextEnd) i++
    ttft = raw.times[i]! - raw.t0
  }
  const sample: StreamSample = {
    ...base,
    ok: true,
    ttft,
    textEvents: parsed.textEvents,
    lostBytes: lostBytes(parsed.text, expected),
  }
  const failure =
    raw.status !== 200
      ? `HTTP ${raw.status}: ${body.slice(0, 200)}`
      : parsed.error !== undefined
        ? `error event: ${parsed.error}`
        : !parsed.done
          ? 'no done event at the end'
          : parsed.text !== expected
            ? `text differs from expectedAnswer (got ${parsed.text.length} chars, want ${expected.length}; first difference at ${firstDiff(parsed.text, expected)})`
            : undefined
  if (failure) return { ...sample, ok: false, failure }
  return sample
}

/** Bytes of `expected` (UTF-8) after the longest intact prefix of `got`, plus any extra bytes `got` has past it. */
export function lostBytes(got: string, expected: string): number {
  if (got === expected) return 0
  const same = Buffer.byteLength(expected.slice(0, firstDiff(got, expected)))
  return Buffer.byteLength(expected) - same + Math.max(0, Buffer.byteLength(got) - Buffer.byteLength(expected))
}

function firstDiff(a: string, b: string): number {
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  return i
}
