import type { Context } from 'hono'
import type { AppEnv } from '../../app-env'
import { SSE_HEADERS } from '../../sse'
import { invalidParams, openAIError } from '../../renderers/chat/errors'
import { isResponseId } from '../../renderers/responses/ids'
import { findResponse, responseNotFound, type FoundResponse } from './stored'

/**
 * The responses the gateway keeps, read back and stopped:
 * - `GET /v1/responses/{id}`: the Response object as it stands (queued, in progress or final);
 * - `GET /v1/responses/{id}?stream=true&starting_after=N`: the events after sequence number N (all of
 *   them, from `response.created`, without it), then the rest live. Every event is one log entry and
 *   `sequence_number` counts from 0, so event N is the log's entry N + 1;
 * - `POST /v1/responses/{id}/cancel`: closes the upstream request and ends the answer `cancelled`
 *   (again: the same final response);
 * - `DELETE /v1/responses/{id}`: stops it if it runs and forgets it.
 * An unknown or expired id is OpenAI's 404, so the SDKs raise NotFoundError.
 *
 * @example
 * curl 'http://localhost:8000/v1/responses/resp_6f0c…?stream=true&starting_after=4'
 */

const SEQUENCE = /^(0|[1-9][0-9]{0,8})$/

async function find(c: Context<AppEnv>, responseId: string): Promise<FoundResponse | undefined> {
  const host = c.get('streams')
  if (!host?.snapshot || !isResponseId(responseId)) return undefined
  c.get('record').set({ response_id: responseId })
  return findResponse(host, responseId)
}

const json = (value: unknown) =>
  new Response(JSON.stringify(value, null, 2), { status: 200, headers: { 'content-type': 'application/json' } })

function eventsGone(responseId: string, startingAfter: string | undefined): Response {
  const after = startingAfter === undefined ? '' : ` after sequence number ${startingAfter}`
  return openAIError(
    404,
    `Response '${responseId.slice(0, 200)}' has no events${after} to stream. The gateway keeps the events of a streamed or background response for RESUME_TTL_MS after it ended; GET without stream=true still returns the response.`,
    { param: startingAfter === undefined ? 'stream' : 'starting_after' },
  )
}

export async function retrieveResponse(c: Context<AppEnv>, responseId: string): Promise<Response> {
  const found = await find(c, responseId)
  if (!found) return responseNotFound(responseId)
  if (c.req.query('stream') !== 'true') return json(found.state.response)
  const startingAfter = c.req.query('starting_after')
  if (startingAfter !== undefined && !SEQUENCE.test(startingAfter)) {
    return invalidParams([{ param: 'starting_after', message: 'must be a sequence_number (an integer from 0)' }])
  }
  const after = startingAfter === undefined ? 0 : Number(startingAfter) + 1
  const resumed = await c.get('streams')!.resume(found.streamId, after, c.get('config').pingIntervalMs)
  // The client has every event: an empty stream, which the SDKs read without an error.
  if (resumed.status === 204) {
    return new Response(null, { status: 200, headers: { ...SSE_HEADERS, 'x-stream-id': found.streamId } })
  }
  return resumed.status === 404 ? eventsGone(responseId, startingAfter) : resumed
}

export async function cancelResponse(c: Context<AppEnv>, responseId: string): Promise<Response> {
  const found = await find(c, responseId)
  if (!found) return responseNotFound(responseId)
  const host = c.get('streams')!
  if (!found.finished) await host.cancel(found.streamId)
  const after = await host.snapshot!(found.streamId)
  const state = after?.state as { response?: unknown } | null | undefined
  return json(state?.response ?? found.state.response)
}

export async function deleteResponse(c: Context<AppEnv>, responseId: string): Promise<Response> {
  const found = await find(c, responseId)
  const host = c.get('streams')
  if (!found || !host?.forget) return responseNotFound(responseId)
  await host.forget(found.streamId)
  if (found.pointer) await host.forget(found.pointer)
  return json({ id: responseId, object: 'response.deleted', deleted: true })
}
