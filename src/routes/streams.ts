import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { Context, MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'
import { openAIError } from '../apis/chat/errors'
import type { RenderSpec } from '../apis/render-spec'
import { type BudgetTicket, settleBudget } from '../budgets/gate'
import type { GenerationPlan } from '../engine/generation'
import { ErrorSchema, SSE_DESCRIPTION } from '../schemas'
import { isStreamId, newStreamId, parseEventId, parseSeq } from '../streams/event-id'
import { STORE_FULL_RETRY_SECONDS, StoreFullError, type StreamHost } from '../streams/host'
import type { StreamStart } from '../streams/live-stream'
import { badRequest } from '../validation'

/**
 * Resumable streams: starting one, resuming with `Last-Event-ID` on the chat endpoints, and
 * `GET` / `DELETE /api/streams/{stream_id}`. The streams themselves live in a {@link StreamHost}.
 *
 * @example
 * curl -N -H 'Last-Event-ID: x3Q0bC9vZ-1kR2_wT8yNa4Lm:4' 'http://localhost:8000/api/stream/chat-get?user_input=Hi'
 * curl -N 'http://localhost:8000/api/streams/x3Q0bC9vZ-1kR2_wT8yNa4Lm?last_event_id=4'
 * curl -X DELETE http://localhost:8000/api/streams/x3Q0bC9vZ-1kR2_wT8yNa4Lm
 */

const noContent = (c: Context) => c.body(null, 204)

/**
 * Starts a resumable stream in its API's events: the response carries `X-Stream-Id` and event ids.
 * `options`: a stream id of the API's choosing (a new random one by default), background mode, and
 * how long the final state stays readable.
 */
export async function startResumable(
  c: Context<AppEnv>,
  host: StreamHost,
  plan: GenerationPlan,
  render: RenderSpec,
  budget?: BudgetTicket,
  options: Partial<Pick<StreamStart, 'streamId' | 'background' | 'stateTtlMs'>> = {},
): Promise<Response> {
  const { providers, ...rest } = plan
  const { config, record } = c.var
  // The generation's host writes this request's log line when the answer ends.
  record.streaming = true
  try {
    return await host.start(
      {
        streamId: newStreamId(),
        ...options,
        plan: rest,
        render,
        ...(budget ? { budget } : {}),
        pingIntervalMs: config.pingIntervalMs,
        graceMs: config.resumeGraceMs,
        ttlMs: config.resumeTtlMs,
        maxStreamBytes: config.maxStreamBytes,
        record: record.snapshot(),
      },
      providers,
      record,
    )
  } catch (error) {
    // Nothing was spent: the caller's budget gets the reservation back.
    if (budget) await settleBudget(c.env ?? {}, budget, 0).catch(() => {})
    return notStarted(c, error, render)
  }
}

/**
 * No stream was started (the store is full, or the Durable Object failed): a 503 the client can act
 * on, with `Retry-After`, in its API's error shape. The request middleware then writes this request's
 * log line (outcome `error`, the cause in its `error` field), since no generation will.
 */
function notStarted(c: Context<AppEnv>, failure: unknown, render: RenderSpec): Response {
  const { record } = c.var
  record.streaming = false
  const full = failure instanceof StoreFullError
  const retryAfter = String(STORE_FULL_RETRY_SECONDS)
  const message = full
    ? `gateway: too many answers are running at once (the resumable stream store is full), so this one was not started. Retry in ${retryAfter} s; if it persists, run more instances or set RESUMABLE=off.`
    : `gateway: the answer could not be started (the resumable stream store failed). Retry in ${retryAfter} s; if it persists, check the gateway logs for this request id, or set RESUMABLE=off.`
  const error = Object.assign(
    new Error(full ? 'the stream store is full' : 'the stream host failed', { cause: failure }),
    {
      kind: 'error',
    },
  )
  const publicMessage = record.fail(error, message)
  const headers = { 'retry-after': retryAfter }
  if (render.api !== 'seed') {
    const code = full ? 'stream_store_full' : 'stream_store_failed'
    return openAIError(503, publicMessage, { code, headers })
  }
  return c.json({ error: publicMessage, request_id: record.requestId }, 503, headers)
}

/**
 * On the chat endpoints: a request carrying `Last-Event-ID` resumes that stream and starts nothing.
 * An id that is not ours, unknown or expired gets 204 (EventSource then stops), as does a stream whose
 * closing event the client already has.
 */
export const resumeFromLastEventId: MiddlewareHandler<AppEnv> = async (c, next) => {
  const host = c.var.streams
  const lastEventId = c.req.header('last-event-id')?.trim()
  if (!host || !lastEventId) return next()
  const position = parseEventId(lastEventId)
  if (!position) return noContent(c)
  const response = await host.resume(position.streamId, position.seq, c.var.config.pingIntervalMs)
  return response.status === 404 ? noContent(c) : response
}

const params = z.object({
  stream_id: z.string().openapi({
    param: { name: 'stream_id', in: 'path' },
    description: 'The `X-Stream-Id` of the stream.',
    example: 'x3Q0bC9vZ-1kR2_wT8yNa4Lm',
  }),
})
const resumeQuery = z.object({
  last_event_id: z.string().optional().openapi({
    description:
      'Resume after this event: its id (`<stream id>:<n>`) or just n. The `Last-Event-ID` header wins. Default: from the first event.',
    example: '4',
  }),
})
const errorContent = { 'application/json': { schema: ErrorSchema } }

export const streamGet = createRoute({
  method: 'get',
  path: '/api/streams/{stream_id}',
  tags: ['stream'],
  summary: 'Resume a stream: the events after Last-Event-ID (or ?last_event_id=), then the rest live',
  request: { params, query: resumeQuery },
  responses: {
    200: { content: { 'text/event-stream': { schema: z.string() } }, description: SSE_DESCRIPTION },
    204: { description: 'The stream finished and the client already has its closing event.' },
    400: { content: errorContent, description: 'last_event_id is not an event id of this stream.' },
    404: {
      content: errorContent,
      description: 'No such stream (unknown, expired after RESUME_TTL_MS, or RESUMABLE=off).',
    },
  },
})

export const streamDelete = createRoute({
  method: 'delete',
  path: '/api/streams/{stream_id}',
  tags: ['stream'],
  summary: 'Stop a stream now: the upstream request is closed, listeners get finish_reason "cancelled"',
  request: { params },
  responses: {
    204: { description: 'Stopped (or it had already finished).' },
    404: {
      content: errorContent,
      description: 'No such stream (unknown, expired after RESUME_TTL_MS, or RESUMABLE=off).',
    },
  },
})

function notFound(c: Context<AppEnv>, streamId: string) {
  const why = c.var.streams
    ? 'it is unknown or expired (a finished stream is kept for RESUME_TTL_MS)'
    : 'resumable streams are switched off (RESUMABLE=off)'
  return c.json({ error: `stream_id: no stream ${JSON.stringify(streamId)}: ${why}` }, 404)
}

export function registerResumeRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(streamGet, async (c) => {
    const { stream_id: streamId } = c.req.valid('param')
    const host = c.var.streams
    if (!host || !isStreamId(streamId)) return notFound(c, streamId)
    const lastEventId = c.req.header('last-event-id')?.trim() || c.req.valid('query').last_event_id?.trim()
    const after = lastEventId ? parseSeq(lastEventId, streamId) : 0
    if (after === undefined) {
      const message = 'must be an event id of this stream (<stream id>:<n>) or a number n'
      return badRequest(c, [
        { field: c.req.header('last-event-id')?.trim() ? 'Last-Event-ID' : 'last_event_id', message },
      ])
    }
    const response = await host.resume(streamId, after, c.var.config.pingIntervalMs)
    return response.status === 404 ? notFound(c, streamId) : (response as never)
  })

  app.openapi(streamDelete, async (c) => {
    const { stream_id: streamId } = c.req.valid('param')
    const host = c.var.streams
    if (!host || !isStreamId(streamId)) return notFound(c, streamId)
    const response = await host.cancel(streamId)
    return response.status === 404 ? notFound(c, streamId) : noContent(c)
  })
}
