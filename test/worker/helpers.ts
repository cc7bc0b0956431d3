import { env, exports } from 'cloudflare:workers'
import { inject } from 'vitest'
import { createApp } from '../../src/app'
import type { Scenario, LoggedRequest } from '../replay/server'

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

/** POSTs JSON to a fresh app with extra bindings, in this isolate (its log lines can be read here). */
export function postWith(bindings: Record<string, string | undefined>, path: string, body: unknown): Promise<Response> {
  const request = new Request(`http://gateway.test${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return Promise.resolve(createApp().fetch(request, { ...env, ...bindings }))
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

/** Splits an SSE body into its `data:` payloads, asserting the exact framing `data: <json>\n\n`. */
export function parseEvents(raw: string): GatewayEvent[] {
  const blocks = raw.split('\n\n')
  if (blocks.pop() !== '') throw new Error(`the stream does not end with a blank line: ${JSON.stringify(raw.slice(-80))}`)
  return blocks
    .filter((block) => block !== ': ping')
    .map((block) => {
      if (!block.startsWith('data: ') || block.includes('\n')) throw new Error(`not a single data line: ${JSON.stringify(block)}`)
      return JSON.parse(block.slice(6)) as GatewayEvent
    })
}

/**
 * Issue 8: the closing event and every error event end with `"request_id":"<X-Request-Id>"`.
 * This checks that the last event of `raw` ends with exactly the response's request id and
 * returns the bytes without that one field, so assertions written for the rest of the contract
 * still compare every other byte.
 */
export function withoutRequestId(raw: string, requestId: string | null): string {
  if (!requestId) throw new Error('the response has no X-Request-Id header')
  const tail = `,"request_id":${JSON.stringify(requestId)}}\n\n`
  if (!raw.endsWith(tail)) throw new Error(`the last event does not end with the request id ${requestId}: ${JSON.stringify(raw.slice(-160))}`)
  return `${raw.slice(0, -tail.length)}}\n\n`
}

/** The body of an SSE response, its last event's request id checked and left out ({@link withoutRequestId}). */
export async function bodyText(response: Response): Promise<string> {
  return withoutRequestId(await response.text(), response.headers.get('x-request-id'))
}

/** The whole SSE body (its last event's request id checked and left out, see {@link withoutRequestId}) and its events. */
export async function readStream(response: Response): Promise<{ raw: string; events: GatewayEvent[]; text: string }> {
  const raw = withoutRequestId(await response.text(), response.headers.get('x-request-id'))
  const events = parseEvents(raw)
  const text = events.map((event) => event.chunk ?? '').join('')
  return { raw, events, text }
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
