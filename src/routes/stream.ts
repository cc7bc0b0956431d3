import { type OpenAPIHono, createRoute, type z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { settleWhenDone, withBudgetHeaders } from '../apis/budget'
import { readChatBody } from '../apis/seed/body'
import { planChat } from '../apis/seed/plan'
import { createSeedRenderer } from '../renderers/seed/stream'
import type { AppEnv } from '../app-env'
import { DirectWriter, directBody } from '../delivery/direct-body'
import { Generation } from '../engine/generation'
import type { RequestRecord } from '../observability/request-record'
import {
  ChatQuerySchema,
  ChatRequestSchema,
  DemoQuerySchema,
  ErrorSchema,
  SSE_DESCRIPTION,
  StreamEventSchema,
} from '../schemas'
import { OPEN_EVENT, PING_EVENT, chunkEvent, doneEvent, sseResponse } from '../sse'
import { bodyTooLargeResponse, jsonBody } from './json-body'
import { resumeFromLastEventId, startResumable } from '../delivery/resumable'

/** Each `data:` line of the stream is one StreamEvent (OpenAPI 3.1 has no per-event schema, so it describes the events). */
const sseContent = { 'text/event-stream': { schema: StreamEventSchema } }
const resumedNothing = {
  description:
    'A request with Last-Event-ID whose stream finished (the client has its closing event), is unknown or expired: nothing is started.',
}
const badRequestResponse = {
  content: { 'application/json': { schema: ErrorSchema } },
  description: 'Invalid input; the message names the field.',
}
const notStartedResponse = {
  content: { 'application/json': { schema: ErrorSchema } },
  description:
    'Resumable streams: the store is full or failed, so the answer was not started. Retry after `Retry-After` seconds.',
}

const chatPost = createRoute({
  method: 'post',
  path: '/api/stream/chat',
  tags: ['stream'],
  summary: 'Stream a chat answer (POST, JSON body)',
  request: { body: { content: { 'application/json': { schema: ChatRequestSchema } }, required: true } },
  responses: {
    200: { content: sseContent, description: SSE_DESCRIPTION },
    204: resumedNothing,
    400: badRequestResponse,
    413: bodyTooLargeResponse,
    503: notStartedResponse,
  },
})

const chatGet = createRoute({
  method: 'get',
  path: '/api/stream/chat-get',
  tags: ['stream'],
  summary: 'Stream a chat answer (GET, for EventSource)',
  middleware: [resumeFromLastEventId] as const,
  request: { query: ChatQuerySchema },
  responses: {
    200: { content: sseContent, description: SSE_DESCRIPTION },
    204: resumedNothing,
    400: badRequestResponse,
    503: notStartedResponse,
  },
})

const demo = createRoute({
  method: 'get',
  path: '/api/stream/sse',
  tags: ['stream'],
  summary: 'A demo stream that needs no provider: a few timed events',
  request: { query: DemoQuerySchema },
  responses: { 200: { content: sseContent, description: SSE_DESCRIPTION }, 400: badRequestResponse },
})

type ChatInput = z.infer<typeof ChatRequestSchema>

/**
 * Starts the answer and returns the SSE response at once; provider failures arrive as error events.
 * Resumable (the default): the stream lives in the stream host and this response is its first listener.
 */
async function streamChat(c: Context<AppEnv>, input: ChatInput): Promise<Response> {
  const planned = await planChat(c, input)
  if (planned instanceof Response) return planned
  const { plan, ticket } = planned
  const streams = c.get('streams')
  if (streams) {
    const response = await startResumable(c, streams, plan, { api: 'seed' }, ticket)
    return withBudgetHeaders(response, ticket)
  }
  const record = c.get('record')
  const writer = new DirectWriter()
  const generation = new Generation(plan, createSeedRenderer(writer, record))
  if (ticket) settleWhenDone(c, generation, ticket)
  const body = directBody(generation, writer, {
    pingIntervalMs: c.get('config').pingIntervalMs,
    open: c.get('flushHeadersEarly'),
    record,
  })
  // Workers and Node also report a client that left through the request's signal.
  const clientSignal = c.req.raw.signal
  clientSignal?.addEventListener('abort', () => generation.abort(clientSignal.reason), { once: true })
  return withBudgetHeaders(sseResponse(body), ticket)
}

/** `count` events, `intervalMs` apart: checks that streaming reaches a client through every proxy. */
function demoStream(
  count: number,
  intervalMs: number,
  options: { pingIntervalMs: number; open: boolean; record: RequestRecord },
): ReadableStream<Uint8Array> {
  const { record } = options
  record.streaming = true
  let timer: ReturnType<typeof setTimeout> | undefined
  let ping: ReturnType<typeof setInterval> | undefined
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (options.open) controller.enqueue(OPEN_EVENT)
      let sent = 0
      if (intervalMs >= options.pingIntervalMs)
        ping = setInterval(() => controller.enqueue(PING_EVENT), options.pingIntervalMs)
      const next = (): void => {
        sent++
        const event = chunkEvent(`Event ${sent}/${count} at ${new Date().toISOString()}\n`)
        record.piece(event.byteLength)
        controller.enqueue(event)
        if (sent < count) {
          timer = setTimeout(next, intervalMs)
          return
        }
        clearInterval(ping)
        controller.enqueue(doneEvent(record.closing({ events: count })))
        controller.close()
        record.finish('done', 200)
      }
      next()
    },
    cancel() {
      clearTimeout(timer)
      clearInterval(ping)
      record.finish('client_left', 200)
    },
  })
}

export function registerStreamRoutes(app: OpenAPIHono<AppEnv>): void {
  // The body is read by readChatBody rather than the route's zod validator: the same replies, less work.
  app.openAPIRegistry.registerPath(chatPost)
  app.post(chatPost.path, resumeFromLastEventId, jsonBody, async (c) => {
    const input = await readChatBody(c)
    return input instanceof Response ? input : streamChat(c, input)
  })
  app.openapi(chatGet, (c) => streamChat(c, c.req.valid('query')))
  app.openapi(demo, (c) => {
    const { count = 5, interval_ms: intervalMs = 500 } = c.req.valid('query')
    return sseResponse(
      demoStream(count, intervalMs, {
        pingIntervalMs: c.get('config').pingIntervalMs,
        open: c.get('flushHeadersEarly'),
        record: c.get('record'),
      }),
    )
  })
}
