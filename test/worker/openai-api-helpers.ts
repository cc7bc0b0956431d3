import { exports } from 'cloudflare:workers'
import OpenAI from 'openai'
import type { ChatCompletionChunk } from 'openai/resources/chat/completions'
import { expect } from 'vitest'
import type { Bindings } from './app-call'
import { fixtureBytes, inProcessApp } from './helpers'

/** The official openai SDK, talking to the worker through the runtime (no retries: each call is one request). */
export function sdk(): OpenAI {
  const worker = (exports as unknown as { default: Fetcher }).default
  return new OpenAI({
    baseURL: 'http://gateway.test/v1',
    apiKey: 'client-token',
    maxRetries: 0,
    fetch: (url, init) => worker.fetch(new Request(url, init)),
  })
}

/** The SDK against a fresh app in this isolate with these bindings (see `inProcessApp`); no retries. */
export function sdkWith(binds: Bindings, apiKey = 'unused'): OpenAI {
  return new OpenAI({
    baseURL: 'http://gateway.test/v1',
    apiKey,
    maxRetries: 0,
    fetch: (url, init) => Promise.resolve(inProcessApp().fetch(new Request(url, init), binds)),
  })
}

/** A request's one log line among the captured ones (see `captureLogs`), found by its request id. */
export function logLineFor(
  logs: { records: () => Record<string, unknown>[] },
  requestId: string | null,
): Record<string, unknown> {
  const lines = logs.records().filter((record) => record.request_id === requestId)
  expect(lines, `log lines for ${requestId}`).toHaveLength(1)
  return lines[0]!
}

/** Everything the SDK yields for a stream: each chunk, the text, the tool calls, the finish reason. */
export async function collect(stream: AsyncIterable<ChatCompletionChunk>) {
  const chunks: ChatCompletionChunk[] = []
  let text = ''
  let finish: string | null = null
  for await (const chunk of stream) {
    chunks.push(chunk)
    const choice = chunk.choices[0]
    if (choice?.delta.content) text += choice.delta.content
    if (choice?.finish_reason) finish = choice.finish_reason
  }
  return { chunks, text, finish }
}

/** Reads a stream until the SDK throws; returns what arrived first and the error. */
export async function collectUntilError(stream: AsyncIterable<ChatCompletionChunk>) {
  let text = ''
  try {
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
  } catch (error) {
    return { text, error }
  }
  throw new Error(`the stream ended without an error; text: ${text}`)
}

export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

/** The `data:` payloads of a recorded fixture, as text, in order. */
export async function fixtureEvents(name: string): Promise<string[]> {
  const text = new TextDecoder().decode(await fixtureBytes(name))
  return text
    .split(/\r\n\r\n|\n\n/)
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice(6))
}

/** Splits our own SSE body into its `data:` payloads, asserting `data: <payload>\n\n` framing (RESUMABLE=off). */
export function framesOf(raw: string): string[] {
  const blocks = raw.split('\n\n')
  if (blocks.pop() !== '') throw new Error(`the body does not end with a blank line: ${JSON.stringify(raw.slice(-80))}`)
  return blocks.map((block) => {
    if (!block.startsWith('data: ') || block.includes('\n'))
      throw new Error(`not one data line: ${JSON.stringify(block)}`)
    return block.slice(6)
  })
}

/**
 * Splits a resumable stream's body into its `data:` payloads, asserting the exact framing: `retry: 1000`
 * first, then every frame (`[DONE]` included) as `id: <streamId>:<n>\ndata: <payload>\n\n`, n counting
 * up from `first` (1 for a new stream, k + 1 for a resume after event k).
 */
export function resumableFrames(raw: string, streamId: string, first = 1): string[] {
  const retry = 'retry: 1000\n\n'
  if (!raw.startsWith(retry))
    throw new Error(`a resumable stream opens with "retry: 1000": ${JSON.stringify(raw.slice(0, 80))}`)
  const blocks = raw.slice(retry.length).split('\n\n')
  if (blocks.pop() !== '') throw new Error(`the body does not end with a blank line: ${JSON.stringify(raw.slice(-80))}`)
  return blocks.map((block, i) => {
    const prefix = `id: ${streamId}:${first + i}\ndata: `
    if (!block.startsWith(prefix) || block.indexOf('\n', prefix.length) !== -1)
      throw new Error(`frame ${first + i} is not "${prefix}<payload>": ${JSON.stringify(block.slice(0, 120))}`)
    return block.slice(prefix.length)
  })
}

/** A recorded stream as a resumable stream sends it: `retry: 1000`, then each event under `id: <streamId>:<n>`. */
export function withResumeFraming(fixture: string, streamId: string): string {
  const events = fixture.split(/(?<=\n\n)/)
  return `retry: 1000\n\n${events.map((event, i) => `id: ${streamId}:${i + 1}\n${event}`).join('')}`
}
