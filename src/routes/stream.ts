import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { answerStream, sseResponse } from '../answer-stream'
import type { AppEnv } from '../app-env'
import { logAnswer } from '../flows/answer-log'
import { planFor } from '../flows/plan'
import { ChatQuerySchema, ChatRequestSchema, DemoQuerySchema, ErrorSchema, SSE_DESCRIPTION } from '../schemas'
import { OPEN_EVENT, PING_EVENT, chunkEvent, doneEvent } from '../sse'
import { badRequest } from '../validation'
import { chatRequestFrom, checkInputSize } from './chat-input'
import { jsonBody } from './json-body'
import { resumeFromLastEventId, startResumable } from './streams'

const sseContent = { 'text/event-stream': { schema: z.string().openapi({ example: 'data: {"chunk":"Hi","done":false}\n\n' }) } }
const resumedNothing = {
  description: 'A request with Last-Event-ID whose stream finished (the client has its closing event), is unknown or expired: nothing is started.',
}
const badRequestResponse = { content: { 'application/json': { schema: ErrorSchema } }, description: 'Invalid input; the message names the field.' }

const chatPost = createRoute({
  method: 'post',
  path: '/api/stream/chat',
  tags: ['stream'],
  summary: 'Stream a chat answer (POST, JSON body)',
  middleware: [resumeFromLastEventId, jsonBody] as const,
  request: { body: { content: { 'application/json': { schema: ChatRequestSchema } }, required: true } },
  responses: { 200: { content: sseContent, description: SSE_DESCRIPTION }, 204: resumedNothing, 400: badRequestResponse },
})

const chatGet = createRoute({
  method: 'get',
  path: '/api/stream/chat-get',
  tags: ['stream'],
  summary: 'Stream a chat answer (GET, for EventSource)',
  middleware: [resumeFromLastEventId] as const,
  request: { query: ChatQuerySchema },
  responses: { 200: { content: sseContent, description: SSE_DESCRIPTION }, 204: resumedNothing, 400: badRequestResponse },
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
function streamChat(c: Context<AppEnv>, input: ChatInput): Response | Promise<Response> {
  const config = c.var.config
  const tooLong = checkInputSize(input, config.maxInputChars)
  if (tooLong) return badRequest(c, [tooLong])

  const provider = input.provider ?? config.defaultProvider
  const plan = planFor(config, c.var.providers, {
    provider,
    request: { ...chatRequestFrom(input), prompt: input.user_input },
    fallback: input.fallback,
  })
  if (c.var.streams) return startResumable(c, c.var.streams, plan)
  const { body, generation } = answerStream(plan, {
    pingIntervalMs: config.pingIntervalMs,
    open: c.var.flushHeadersEarly,
    onEnd: (ended, outcome) => logAnswer(ended, outcome),
  })
  // Workers and Node also report a client that left through the request's signal.
  const clientSignal = c.req.raw.signal
  clientSignal?.addEventListener('abort', () => generation.abort(clientSignal.reason), { once: true })
  return sseResponse(body)
}

/** `count` events, `intervalMs` apart: checks that streaming reaches a client through every proxy. */
function demoStream(count: number, intervalMs: number, options: { pingIntervalMs: number; open: boolean }): ReadableStream<Uint8Array> {
  let timer: ReturnType<typeof setTimeout> | undefined
  let ping: ReturnType<typeof setInterval> | undefined
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (options.open) controller.enqueue(OPEN_EVENT)
      let sent = 0
      if (intervalMs >= options.pingIntervalMs) ping = setInterval(() => controller.enqueue(PING_EVENT), options.pingIntervalMs)
      const next = (): void => {
        sent++
        controller.enqueue(chunkEvent(`Event ${sent}/${count} at ${new Date().toISOString()}\n`))
        if (sent < count) {
          timer = setTimeout(next, intervalMs)
          return
        }
        clearInterval(ping)
        controller.enqueue(doneEvent({ events: count }))
        controller.close()
      }
      next()
    },
    cancel() {
      clearTimeout(timer)
      clearInterval(ping)
    },
  })
}

export function registerStreamRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(chatPost, (c) => streamChat(c, c.req.valid('json')))
  app.openapi(chatGet, (c) => streamChat(c, c.req.valid('query')))
  app.openapi(demo, (c) => {
    const { count = 5, interval_ms: intervalMs = 500 } = c.req.valid('query')
    return sseResponse(demoStream(count, intervalMs, { pingIntervalMs: c.var.config.pingIntervalMs, open: c.var.flushHeadersEarly }))
  })
}
