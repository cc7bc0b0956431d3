import { createRoute, type OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../app-env'
import { publicErrorMessage } from '../answer-stream'
import { runAskWorkflow } from '../flows/ask-flow'
import { ProviderError } from '../providers/errors'
import { AskResponseSchema, ChatRequestSchema, ErrorSchema } from '../schemas'
import { planChat } from './chat-plan'
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

/** The HTTP status for a failed answer: the client's fault never, the provider's or the setup's. */
function statusFor(error: unknown): 429 | 502 | 503 | 504 {
  if (!(error instanceof ProviderError)) return 502
  if (error.kind === 'not_configured') return 503
  if (error.kind === 'timeout' || error.kind === 'first_text_timeout' || error.kind === 'max_duration') return 504
  return error.status === 429 ? 429 : 502
}

export function registerFlowRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(ask, async (c) => {
    const plan = planChat(c, c.req.valid('json'))
    if (plan instanceof Response) return plan as never
    const { record } = c.var
    try {
      const result = await runAskWorkflow(plan, c.req.raw.signal, (generation) =>
        record.set({ attempts: generation.attempts }),
      )
      // The checked model name, masked fields and the record's bytes and usage.
      const { response, ...meta } = result
      const { request_id: _id, ...safe } = record.closing(meta) as typeof meta & { request_id: string }
      record.answered(new TextEncoder().encode(response).byteLength)
      return c.json({ response, ...safe }, 200)
    } catch (error) {
      const message = record.fail(error, publicErrorMessage(error))
      return c.json({ error: message, request_id: record.requestId }, statusFor(error))
    }
  })
}
