import { createRoute, type OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../app-env'
import { settleWhenDone, withBudgetHeaders } from '../apis/budget'
import { planChat } from '../apis/seed/plan'
import { createAskRenderer } from '../renderers/seed/ask'
import { runToEnd } from '../delivery/direct-body'
import { Generation } from '../engine/generation'
import { AskResponseSchema, ChatRequestSchema, ErrorSchema } from '../schemas'
import { bodyTooLargeResponse, jsonBody } from './json-body'

const ask = createRoute({
  method: 'post',
  path: '/api/flows/ask',
  tags: ['flows'],
  summary: 'The whole answer as JSON (not streamed)',
  middleware: [jsonBody] as const,
  request: { body: { content: { 'application/json': { schema: ChatRequestSchema } }, required: true } },
  responses: {
    200: { content: { 'application/json': { schema: AskResponseSchema } }, description: 'The answer.' },
    400: {
      content: { 'application/json': { schema: ErrorSchema } },
      description: 'Invalid input; the message names the field.',
    },
    413: bodyTooLargeResponse,
    429: { content: { 'application/json': { schema: ErrorSchema } }, description: 'The provider is rate limited.' },
    502: {
      content: { 'application/json': { schema: ErrorSchema } },
      description: 'The provider failed; the message says which and what to do.',
    },
    503: {
      content: { 'application/json': { schema: ErrorSchema } },
      description: "The provider's API key is not configured.",
    },
    504: {
      content: { 'application/json': { schema: ErrorSchema } },
      description:
        'A timeout: FIRST_TEXT_TIMEOUT_MS, UPSTREAM_IDLE_TIMEOUT_MS or MAX_DURATION_MS (the message names it).',
    },
  },
})

export function registerFlowRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(ask, async (c) => {
    const planned = await planChat(c, c.req.valid('json'))
    if (planned instanceof Response) return planned as never
    const record = c.get('record')
    const renderer = createAskRenderer(record)
    const generation = new Generation(planned.plan, renderer)
    if (planned.ticket) settleWhenDone(c, generation, planned.ticket)
    await runToEnd(generation, c.req.raw.signal)
    record.set({ attempts: generation.attempts })
    return withBudgetHeaders(renderer.response(), planned.ticket) as never
  })
}
