/**
 * `AppType`: the gateway's routes as types, for `hono/client`. Import it with `import type`:
 * nothing of this file reaches a client bundle.
 *
 * The routes below restate the method, path, input schema and responses of each route in
 * src/routes/ from the same schemas (src/schemas.ts); test/node/app-type.test.ts fails when
 * they differ from the app's own OpenAPI document.
 *
 * @example
 * import { hc } from 'hono/client'
 * import type { AppType } from './client/app-type'
 * const client = hc<AppType>('http://localhost:8000')
 * const res = await client.api.flows.ask.$post({ json: { user_input: 'Hi', provider: 'gemini' } })
 * if (res.ok) console.log((await res.json()).response)
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../app-env'
import { streamDelete, streamGet } from '../routes/streams'
import { usageGet } from '../routes/usage'
import {
  AskResponseSchema,
  ChatQuerySchema,
  ChatRequestSchema,
  DemoQuerySchema,
  ErrorSchema,
  HealthSchema,
} from '../schemas'

const jsonOf = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
})
const sse = { content: { 'text/event-stream': { schema: z.string() } }, description: 'Server-Sent Events' }
const badRequest = jsonOf(ErrorSchema, 'Invalid input')
const bodyTooLarge = jsonOf(ErrorSchema, 'The body is larger than MAX_BODY_BYTES')
const resumedNothing = {
  description: 'A Last-Event-ID whose stream finished, is unknown or expired: nothing is started.',
}
const notStarted = jsonOf(ErrorSchema, 'The resumable stream store could not start the answer; retry after Retry-After')
const chatBody = { body: { content: { 'application/json': { schema: ChatRequestSchema } }, required: true } }

export const contractRoutes = {
  chatPost: createRoute({
    method: 'post',
    path: '/api/stream/chat',
    request: chatBody,
    responses: { 200: sse, 204: resumedNothing, 400: badRequest, 413: bodyTooLarge, 503: notStarted },
  }),
  chatGet: createRoute({
    method: 'get',
    path: '/api/stream/chat-get',
    request: { query: ChatQuerySchema },
    responses: { 200: sse, 204: resumedNothing, 400: badRequest, 503: notStarted },
  }),
  demo: createRoute({
    method: 'get',
    path: '/api/stream/sse',
    request: { query: DemoQuerySchema },
    responses: { 200: sse, 400: badRequest },
  }),
  ask: createRoute({
    method: 'post',
    path: '/api/flows/ask',
    request: chatBody,
    responses: {
      200: jsonOf(AskResponseSchema, 'The answer'),
      400: badRequest,
      413: bodyTooLarge,
      429: jsonOf(ErrorSchema, 'Rate limited'),
      502: jsonOf(ErrorSchema, 'Provider failed'),
      503: jsonOf(ErrorSchema, 'Not configured'),
      504: jsonOf(ErrorSchema, 'Timed out'),
    },
  }),
  health: createRoute({
    method: 'get',
    path: '/health',
    responses: { 200: jsonOf(HealthSchema, 'The gateway is up') },
  }),
  // The resume and usage routes are the app's own definitions (src/routes/streams.ts, src/routes/usage.ts).
  streamGet,
  streamDelete,
  usageGet,
}

const contractOnly = (): never => {
  throw new Error('the contract app describes the routes; createApp() serves them')
}

/** The route table as a Hono app whose handlers never run: its type is AppType, its document is compared in tests. */
export function contractApp() {
  const r = contractRoutes
  return new OpenAPIHono<AppEnv>()
    .openapi(r.chatPost, contractOnly)
    .openapi(r.chatGet, contractOnly)
    .openapi(r.demo, contractOnly)
    .openapi(r.ask, contractOnly)
    .openapi(r.health, contractOnly)
    .openapi(r.streamGet, contractOnly)
    .openapi(r.streamDelete, contractOnly)
    .openapi(r.usageGet, contractOnly)
}

export type AppType = ReturnType<typeof contractApp>
