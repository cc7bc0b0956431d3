import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { answerStream, describeResult, sseResponse } from '../answer-stream'
import type { AppEnv } from '../app-env'
import { runStreamTestWorkflow } from '../flows/stream-test-flow'
import { idleTimeoutError } from '../providers/errors'
import { checkMaxTokens, checkModel, outputTokens } from '../access/model-policy'
import { ChatQuerySchema, ChatRequestSchema, DemoQuerySchema, ErrorSchema, SSE_DESCRIPTION } from '../schemas'
import { chatRequestFrom, checkInputSize } from './chat-input'
import { jsonBody } from './json-body'
import { badRequest } from '../validation'

const sseContent = { 'text/event-stream': { schema: z.string().openapi({ example: 'data: {"chunk":"Hi","done":false}\n\n' }) } }
const badRequestResponse = { content: { 'application/json': { schema: ErrorSchema } }, description: 'Invalid input; the message names the field.' }

const chatPost = createRoute({
  method: 'post',
  path: '/api/stream/chat',
  tags: ['stream'],
  summary: 'Stream a chat answer (POST, JSON body)',
  middleware: [jsonBody] as const,
  request: { body: { content: { 'application/json': { schema: ChatRequestSchema } }, required: true } },
  responses: { 200: { content: sseContent, description: SSE_DESCRIPTION }, 400: badRequestResponse },
})

const chatGet = createRoute({
  method: 'get',
  path: '/api/stream/chat-get',
  tags: ['stream'],
  summary: 'Stream a chat answer (GET, for EventSource)',
  request: { query: ChatQuerySchema },
  responses: { 200: { content: sseContent, description: SSE_DESCRIPTION }, 400: badRequestResponse },
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

/** Starts the answer and returns the SSE response at once; provider failures arrive as error events. */
function streamChat(c: Context<AppEnv>, input: ChatInput): Response {
  const config = c.var.config
  const tooLong = checkInputSize(input, config.maxInputChars)
  if (tooLong) return badRequest(c, [tooLong])

  const provider = input.provider ?? config.defaultProvider
  // Issue 8: the record's fields, then ALLOWED_MODELS / MAX_OUTPUT_TOKENS (400), and the output cap.
  const { record, security } = c.var
  record.set({ provider, model: input.model ?? config[provider].model })
  record.prompt(input.user_input)
  const denied =
    checkModel(security.policy, provider, input.model, config[provider].model) ??
    checkMaxTokens(security.policy, input.max_tokens)
  if (denied) return badRequest(c, [denied])
  const maxTokens = outputTokens(security.policy, input.max_tokens)

  const abort = new AbortController()
  const clientSignal = c.req.raw.signal
  clientSignal?.addEventListener('abort', () => abort.abort(clientSignal.reason), { once: true })

  const answer = runStreamTestWorkflow(input.user_input, {
    provider,
    request: { ...chatRequestFrom(input), ...(maxTokens !== undefined ? { maxTokens } : {}) },
    providers: c.var.providers,
    signal: abort.signal,
  })
  return sseResponse(
    answerStream(answer, {
      source: provider,
      abort,
      pingIntervalMs: config.pingIntervalMs,
      idleTimeoutMs: config.upstreamIdleTimeoutMs,
      idleError: () => idleTimeoutError(provider, config.upstreamIdleTimeoutMs),
      describe: describeResult,
      open: c.var.flushHeadersEarly,
      record,
    }),
  )
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(timer)
      reject(signal.reason)
    }, { once: true })
  })
}

async function* demoEvents(count: number, intervalMs: number, signal: AbortSignal): AsyncGenerator<string, number> {
  for (let index = 1; index <= count; index++) {
    if (index > 1) await sleep(intervalMs, signal)
    yield `Event ${index}/${count} at ${new Date().toISOString()}\n`
  }
  return count
}

export function registerStreamRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(chatPost, (c) => streamChat(c, c.req.valid('json')))
  app.openapi(chatGet, (c) => streamChat(c, c.req.valid('query')))
  app.openapi(demo, (c) => {
    const { count = 5, interval_ms: intervalMs = 500 } = c.req.valid('query')
    const abort = new AbortController()
    return sseResponse(
      answerStream(demoEvents(count, intervalMs, abort.signal), {
        source: 'demo',
        abort,
        pingIntervalMs: c.var.config.pingIntervalMs,
        idleTimeoutMs: Math.max(c.var.config.upstreamIdleTimeoutMs, intervalMs * 2),
        idleError: () => new Error('demo stream stalled'),
        describe: (events) => ({ events }),
        open: c.var.flushHeadersEarly,
        record: c.var.record,
      }),
    )
  })
}
