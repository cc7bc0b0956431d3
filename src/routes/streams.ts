import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { AppEnv } from '../app-env'
import { ErrorSchema, SSE_DESCRIPTION } from '../schemas'
import { isStreamId, parseSeq } from '../streams/event-id'
import { badRequest } from '../validation'

/**
 * `GET` / `DELETE /api/streams/{stream_id}`: resume or stop a stream (starting one and resuming on the
 * chat routes: src/delivery/resumable.ts). The streams themselves live in a {@link StreamHost}.
 *
 * @example
 * curl -N -H 'Last-Event-ID: x3Q0bC9vZ-1kR2_wT8yNa4Lm:4' 'http://localhost:8000/api/stream/chat-get?user_input=Hi'
 * curl -N 'http://localhost:8000/api/streams/x3Q0bC9vZ-1kR2_wT8yNa4Lm?last_event_id=4'
 * curl -X DELETE http://localhost:8000/api/streams/x3Q0bC9vZ-1kR2_wT8yNa4Lm
 */

const noContent = (c: Context) => c.body(null, 204)

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
  const why = c.get('streams')
    ? 'it is unknown or expired (a finished stream is kept for RESUME_TTL_MS)'
    : 'resumable streams are switched off (RESUMABLE=off)'
  return c.json({ error: `stream_id: no stream ${JSON.stringify(streamId)}: ${why}` }, 404)
}

export function registerResumeRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(streamGet, async (c) => {
    const { stream_id: streamId } = c.req.valid('param')
    const host = c.get('streams')
    if (!host || !isStreamId(streamId)) return notFound(c, streamId)
    const lastEventId = c.req.header('last-event-id')?.trim() || c.req.valid('query').last_event_id?.trim()
    const after = lastEventId ? parseSeq(lastEventId, streamId) : 0
    if (after === undefined) {
      const message = 'must be an event id of this stream (<stream id>:<n>) or a number n'
      return badRequest(c, [
        { field: c.req.header('last-event-id')?.trim() ? 'Last-Event-ID' : 'last_event_id', message },
      ])
    }
    const response = await host.resume(streamId, after, c.get('config').pingIntervalMs)
    return response.status === 404 ? notFound(c, streamId) : (response as never)
  })

  app.openapi(streamDelete, async (c) => {
    const { stream_id: streamId } = c.req.valid('param')
    const host = c.get('streams')
    if (!host || !isStreamId(streamId)) return notFound(c, streamId)
    const response = await host.cancel(streamId)
    return response.status === 404 ? notFound(c, streamId) : noContent(c)
  })
}
