import { env, exports } from 'cloudflare:workers'
import { inject } from 'vitest'
import { createApp, type AppOptions } from '../../src/app'
import { createMemoryStreams } from '../../src/streams/memory-streams'
import type { Scenario, LoggedRequest } from '../replay/server'
import { type AnswerTiming, withoutTiming } from './answer-timing'

export { ANSWERED_TIMING, type AnswerTiming, withoutTiming } from './answer-timing'

export const upstreamUrl = (): string => inject('replayUrl')

/** Registers a replay scenario with the fake upstream; returns the model name that selects it. */
export async function scenario(definition: Scenario): Promise<string> {
  const response = await fetch(`${upstreamUrl()}/__replay/scenarios`, {
    method: 'POST',
    body: JSON.stringify(definition),
  })
  const { model } = (await response.json()) as { model: string }
  return model
}

/** What the fake upstream saw for a model name. */
export async function upstreamRequests(model: string): Promise<LoggedRequest[]> {
  const response = await fetch(`${upstreamUrl()}/__replay/requests?model=${encodeURIComponent(model)}`)
  return (await response.json()) as LoggedRequest[]
}

/** Calls the worker through the runtime, as a client on the network would. */
export function gateway(path: string, init?: RequestInit): Promise<Response> {
  return (exports as unknown as { default: Fetcher }).default.fetch(new Request(`http://gateway.test${path}`, init))
}

/**
 * A fresh app whose resumable streams run in this isolate. Bindings passed per call (a test's own key,
 * base URL or limit) then reach the generation; a Durable Object reads the worker's configured
 * bindings instead, as in production, where both are the same. Durable Objects: test/worker/resume.test.ts.
 */
export function inProcessApp(options: AppOptions = {}) {
  return createApp({ streams: createMemoryStreams(), ...options })
}

/** POSTs JSON to a fresh app with extra bindings, in this isolate (its log lines can be read here). */
export function postWith(bindings: Record<string, string | undefined>, path: string, body: unknown): Promise<Response> {
  const request = new Request(`http://gateway.test${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return Promise.resolve(inProcessApp().fetch(request, { ...env, ...bindings }))
}

export function postChat(body: unknown, path = '/api/stream/chat'): Promise<Response> {
  return gateway(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
}

export interface GatewayEvent {
  chunk?: string
  done: boolean
  error?: string
  [key: string]: unknown
}

export interface ParsedStream {
  events: GatewayEvent[]
  /** The `id:` of each event (all present on a resumable stream, all absent on the direct path). */
  ids: (string | undefined)[]
  /** True when the body opened with `retry: 1000`. */
  retry: boolean
}

/**
 * Splits an SSE body into its events, asserting the exact framing: an optional `retry: 1000\n\n` first,
 * then blocks `data: <json>\n\n` (direct path) or `id: <stream id>:<n>\ndata: <json>\n\n` (resumable,
 * n consecutive), `: ping` comments anywhere before the end.
 */
export function parseStream(raw: string): ParsedStream {
  const blocks = raw.split('\n\n')
  if (blocks.pop() !== '')
    throw new Error(`the stream does not end with a blank line: ${JSON.stringify(raw.slice(-80))}`)
  const retry = blocks[0] === 'retry: 1000'
  if (retry) blocks.shift()
  const events: GatewayEvent[] = []
  const ids: (string | undefined)[] = []
  for (const block of blocks.filter((block) => block !== ': ping')) {
    const lines = block.split('\n')
    const id = lines.length === 2 ? lines.shift()! : undefined
    if (id !== undefined && !/^id: [A-Za-z0-9_-]{24}:[1-9][0-9]*$/.test(id))
      throw new Error(`not an id line: ${JSON.stringify(block)}`)
    const data = lines[0]!
    if (lines.length !== 1 || !data.startsWith('data: '))
      throw new Error(`not a single data line: ${JSON.stringify(block)}`)
    events.push(JSON.parse(data.slice(6)) as GatewayEvent)
    ids.push(id?.slice(4))
  }
  if (ids.some((id) => id === undefined) && ids.some((id) => id !== undefined))
    throw new Error(`some events have an id, some not: ${raw}`)
  if (ids[0] !== undefined) {
    const [streamId, first] = ids[0].split(':') as [string, string]
    ids.forEach((id, i) => {
      if (id !== `${streamId}:${Number(first) + i}`)
        throw new Error(`event ${i} has id ${id}, expected ${streamId}:${Number(first) + i}`)
    })
  }
  return { events, ids, retry }
}

/** The events of an SSE body (see {@link parseStream} for the framing it asserts). */
export function parseEvents(raw: string): GatewayEvent[] {
  return parseStream(raw).events
}

/**
 * A resumable stream's body without its resume framing: checks that it opens with `retry: 1000` and that
 * every event carries exactly `id: <streamId>:<n>` (n = 1, 2, 3…), then takes those lines out, which
 * leaves the bytes the direct path (RESUMABLE=off) sends. A body without a stream id is returned as it is.
 */
export function withoutResumeFraming(wire: string, streamId: string | null): string {
  if (!streamId) return wire
  if (!wire.startsWith('retry: 1000\n\n'))
    throw new Error(`a resumable stream must open with "retry: 1000": ${JSON.stringify(wire.slice(0, 80))}`)
  let n = 0
  return wire
    .slice('retry: 1000\n\n'.length)
    .replace(/(^|\n\n)id: ([^\n]*)\n(?=data: )/g, (_match, before: string, id: string) => {
      n++
      if (id !== `${streamId}:${n}`)
        throw new Error(`event ${n} has id ${JSON.stringify(id)}, expected ${streamId}:${n}`)
      return before
    })
}

/**
 * The closing event and every error event end with `"request_id":"<X-Request-Id>"`.
 * This checks that the last event of `raw` ends with exactly the response's request id and
 * returns the bytes without that one field, so assertions written for the rest of the contract
 * still compare every other byte. A resumed stream's closing event names the request that started
 * the generation (whose log line has its figures), not the resuming one: pass `null` to accept any id.
 */
export function withoutRequestId(raw: string, requestId: string | null, resumed = false): string {
  if (resumed) {
    const tail = /,"request_id":"[^"]+"\}\n\n$/.exec(raw)
    if (!tail) throw new Error(`the last event has no request id: ${JSON.stringify(raw.slice(-160))}`)
    return `${raw.slice(0, tail.index)}}\n\n`
  }
  if (!requestId) throw new Error('the response has no X-Request-Id header')
  const tail = `,"request_id":${JSON.stringify(requestId)}}\n\n`
  if (!raw.endsWith(tail))
    throw new Error(`the last event does not end with the request id ${requestId}: ${JSON.stringify(raw.slice(-160))}`)
  return `${raw.slice(0, -tail.length)}}\n\n`
}

/** The body of an SSE response as the direct path sends it, without the request id ({@link readStream}'s `raw`). */
export async function bodyText(response: Response): Promise<string> {
  return (await readStream(response)).raw
}

/**
 * The whole SSE body and its events: `wire` as sent, `raw` without the resume framing
 * ({@link withoutResumeFraming}), the last event's request id ({@link withoutRequestId}) and its
 * `timing` ({@link withoutTiming}, which checks it), and that `timing`.
 */
export async function readStream(
  response: Response,
): Promise<{ raw: string; wire: string; events: GatewayEvent[]; text: string; timing?: AnswerTiming }> {
  const wire = await response.text()
  const streamId = response.headers.get('x-stream-id')
  const { raw, timing } = withoutTiming(
    withoutRequestId(withoutResumeFraming(wire, streamId), response.headers.get('x-request-id'), streamId !== null),
  )
  const events = parseEvents(raw)
  const text = events.map((event) => event.chunk ?? '').join('')
  return { raw, wire, events, text, ...(timing ? { timing } : {}) }
}

/** The raw bytes of a fixture, served by the fake upstream (the worker has no file system). */
export async function fixtureBytes(name: string): Promise<Uint8Array> {
  const response = await fetch(`${upstreamUrl()}/__replay/fixtures/${name}`)
  return new Uint8Array(await response.arrayBuffer())
}

/** Every `data:` payload of a provider's recorded stream, parsed independently of the gateway's code. */
export async function fixturePayloads(name: string): Promise<unknown[]> {
  const text = new TextDecoder().decode(await fixtureBytes(name))
  return text
    .split(/\r\n\r\n|\n\n|\r\r/)
    .map((block) => block.trim())
    .filter((block) => block.startsWith('data:'))
    .map((block) => block.slice(5).trim())
    .filter((data) => data !== '[DONE]')
    .map((data) => JSON.parse(data) as unknown)
}

interface OpenAIChunk {
  choices?: { index?: number; delta?: { content?: string | null; refusal?: string | null } }[]
}
interface GeminiChunk {
  candidates?: { content?: { parts?: { text?: string; thought?: boolean }[] } }[]
}

/** The answer text a recorded OpenAI stream holds (choice 0: content, or refusal). */
export async function openaiFixtureText(name: string): Promise<string> {
  const payloads = (await fixturePayloads(name)) as OpenAIChunk[]
  return payloads
    .flatMap((chunk) => chunk.choices ?? [])
    .filter((choice) => (choice.index ?? 0) === 0)
    .map((choice) => choice.delta?.content || choice.delta?.refusal || '')
    .join('')
}

/** The answer text a recorded Gemini stream holds (candidate 0, thought parts excluded). */
export async function geminiFixtureText(name: string): Promise<string> {
  const payloads = (await fixturePayloads(name)) as GeminiChunk[]
  return payloads
    .flatMap((chunk) => chunk.candidates?.[0]?.content?.parts ?? [])
    .filter((part) => !part.thought)
    .map((part) => part.text ?? '')
    .join('')
}

export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const value = await probe()
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return undefined
}

/** The fake upstream's record of the first request for `model` once the gateway closed it early, waiting up to `timeoutMs`. */
export function upstreamClosedEarly(model: string, timeoutMs = 1000): Promise<LoggedRequest | undefined> {
  return waitFor(async () => {
    const [request] = await upstreamRequests(model)
    return request?.clientClosedEarly ? request : undefined
  }, timeoutMs)
}
