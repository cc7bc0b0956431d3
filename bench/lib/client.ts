/**
 * One measured stream, from the client's side: node:http (keep-alive), high-resolution time
 * (performance.now()) at the request, at the response headers, at every network read and at
 * the end. The hot path only stores each read and its time; the body is parsed after the
 * stream ended, so parsing never delays the next read nor differs between targets.
 *
 * @example
 * const sample = await measureStream(makeTarget('gateway', 'gateway', url, exchangeFor('v1', 'gateway')), 'gemini', prompt, expected)
 */
import { Agent, request as httpRequest } from 'node:http'
import { performance } from 'node:perf_hooks'
import { exchangeFor, type Provider, type TargetKind } from './apis.ts'
import { toMonotonic, type TextArrival } from './gap.ts'
import { parseBody, type Exchange, type Parsed } from './wire.ts'

export interface Target {
  kind: TargetKind
  label: string
  url: string
  agent: Agent
  /** The request sent for a prompt, and how its answer is read. */
  exchange: (provider: Provider, prompt: string) => Exchange
}

export interface StreamSample {
  /** The prompt sent (unique per stream): the emulator's piece times are kept by prompt. */
  prompt: string
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
  /** Per text event: the answer text's length once it arrived, and when (the read that completed it, monotonic ms). */
  textArrivals: TextArrival[]
  /** Per content piece the emulator wrote: ms from its write to its arrival (lib/gap.ts fills it in after the batch). */
  chunkDelays?: number[]
}

/** A target with its own keep-alive pool; by default it is sent `/api/stream/chat` (or, for the floor and `direct`, the provider request the gateway makes for it). */
export function makeTarget(
  kind: TargetKind,
  label: string,
  url: string,
  exchange: Target['exchange'] = exchangeFor('api', kind),
  maxSockets = 8,
): Target {
  return { kind, label, url, agent: new Agent({ keepAlive: true, maxSockets }), exchange }
}

interface Raw {
  status: number
  t0: number
  tHeaders: number
  tEnd: number
  reads: Buffer[]
  times: number[]
}

function send(target: Target, exchange: Exchange, timeoutMs: number, onRead?: (chunk: Buffer) => void): Promise<Raw> {
  const { path, headers, body } = exchange
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
  const exchange = target.exchange(provider, prompt)
  const expectedBytes = Buffer.byteLength(expected)
  try {
    raw = await send(target, exchange, options.timeoutMs ?? 20_000, options.onRead)
  } catch (error) {
    return {
      prompt,
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
      textArrivals: [],
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
    prompt,
    status: raw.status,
    ttfb: raw.tHeaders - raw.t0,
    total: raw.tEnd - raw.t0,
    reads: raw.reads.length,
    bytes,
  }
  let parsed: Parsed
  try {
    parsed = parseBody(exchange.wire, body, { doneAtStop: exchange.doneAtStop })
  } catch (error) {
    return {
      ...base,
      ok: false,
      failure: `unparsable body: ${String(error)}`,
      ttft: NaN,
      textEvents: 0,
      lostBytes: expectedBytes,
      textArrivals: [],
    }
  }
  let ttft = NaN
  if (parsed.firstTextEnd >= 0) {
    let i = 0
    while (i < ends.length - 1 && ends[i]! < parsed.firstTextEnd) i++
    ttft = raw.times[i]! - raw.t0
  }
  // Each text event arrived with the read that completed it (marks and reads both in body order).
  const textArrivals: TextArrival[] = []
  let read = 0
  for (const mark of parsed.textMarks) {
    while (read < ends.length - 1 && ends[read]! < mark.end) read++
    textArrivals.push({ textLength: mark.textLength, at: toMonotonic(raw.times[read]!) })
  }
  const sample: StreamSample = {
    ...base,
    ok: true,
    ttft,
    textEvents: parsed.textEvents,
    lostBytes: lostBytes(parsed.text, expected),
    textArrivals,
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
