import type { StreamHost } from '../../streams/host'
import { openAIError } from '../../renderers/chat/errors'
import { isObject, type Json } from '../../renderers/responses/json'
import { sha256 } from './sha256'

/**
 * Where the gateway keeps a response: in the stream host, under a stream id derived from the response
 * id (SHA-256), so every instance and every Durable Object finds it without an index. The state there
 * is the renderer's `{ response, conversation? }` or, for an OpenAI stream relayed under the id the
 * gateway chose before OpenAI named its own, a pointer `{ stream }` to that stream.
 *
 * @example
 * const streamId = streamIdOf('resp_6f0c…') // 'kq0Xb…' (24 characters)
 * const found = await findResponse(host, 'resp_6f0c…')
 * found?.state.response // the Response object as it stands
 */

export interface StoredResponse {
  response?: Json
  /** Every turn's input and output items, once the answer ended (store not false). */
  conversation?: unknown[]
  /** A pointer to the stream that holds the response. */
  stream?: string
}

export interface FoundResponse {
  /** The stream that holds it. */
  streamId: string
  /** The stream id of the pointer that led to it, if one did. */
  pointer?: string
  finished: boolean
  state: StoredResponse
}

const encoder = new TextEncoder()

export function streamIdOf(responseId: string): string {
  const digest = sha256(encoder.encode(`responses:${responseId}`))
  let binary = ''
  for (const byte of digest.subarray(0, 18)) binary += String.fromCharCode(byte)
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_')
}

const stateOf = (value: unknown): StoredResponse => (isObject(value) ? (value as StoredResponse) : {})

/** The response kept under `responseId` (following a pointer once), if it has a Response object. */
export async function findResponse(host: StreamHost, responseId: string): Promise<FoundResponse | undefined> {
  if (!host.snapshot) return undefined
  const streamId = streamIdOf(responseId)
  const found = await host.snapshot(streamId)
  if (!found) return undefined
  const pointed = stateOf(found.state).stream
  if (typeof pointed === 'string') {
    const target = await host.snapshot(pointed)
    const state = stateOf(target?.state)
    return target && state.response
      ? { streamId: pointed, pointer: streamId, finished: target.finished, state }
      : undefined
  }
  const state = stateOf(found.state)
  return state.response ? { streamId, finished: found.finished, state } : undefined
}

/** OpenAI's 404 for a response it does not have (the SDKs raise NotFoundError), with how long the gateway keeps one. */
export function responseNotFound(responseId: string): Response {
  return openAIError(
    404,
    `Response with id '${responseId.slice(0, 200)}' not found. The gateway keeps a response for RESPONSES_TTL_MS after it ended (none with store: false), and only while resumable streams are on.`,
  )
}

/** OpenAI's error for an unknown `previous_response_id`. */
export function previousResponseNotFound(responseId: string): Response {
  return openAIError(
    404,
    `Previous response with id '${responseId.slice(0, 200)}' not found. The gateway keeps a Gemini response's conversation for RESPONSES_TTL_MS, unless it was created with store: false.`,
    { param: 'previous_response_id', code: 'previous_response_not_found' },
  )
}
