import { createRoute, type OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../app-env'
import { checkMaxTokens, checkModel, outputTokens } from '../access/model-policy'
import { publicErrorMessage } from '../answer-stream'
import { runAskWorkflow } from '../flows/ask-flow'
import { ProviderError } from '../providers/errors'
import { AskResponseSchema, ChatRequestSchema, ErrorSchema } from '../schemas'
import { badRequest } from '../validation'
import { chatRequestFrom, checkInputSize } from './chat-input'
import { jsonBody } from './json-body'

const ask = createRoute({
  method: 'post',
  path: '/api/flows/ask',
  tags: ['flows'],
  summary: 'The whole answer as JSON (not streamed)',
  middleware: [jsonBody] as const,
  request: { body: { content: { 'application/json': { schema: ChatRequestSchema } }, required: true } },
  responses: {
    200: { content: { 'application/json': { schema: AskResponseSchema } }, description: 'The answer.' },
    400: { content: { 'application/json': { schema: ErrorSchema } }, description: 'Invalid input; the message names the field.' },
    429: { content: { 'application/json': { schema: ErrorSchema } }, description: 'The provider is rate limited.' },
    502: { content: { 'application/json': { schema: ErrorSchema } }, description: 'The provider failed; the message says which and what to do.' },
    503: { content: { 'application/json': { schema: ErrorSchema } }, description: "The provider's API key is not configured." },
    504: { content: { 'application/json': { schema: ErrorSchema } }, description: 'The provider sent nothing for too long.' },
  },
})

/** The HTTP status for a failed answer: the client's fault never, the provider's or the setup's. */
function statusFor(error: unknown): 429 | 502 | 503 | 504 {
  if (!(error instanceof ProviderError)) return 502
  if (error.kind === 'not_configured') return 503
  if (error.kind === 'timeout') return 504
  return error.status === 429 ? 429 : 502
}

export function registerFlowRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(ask, async (c) => {
    const input = c.req.valid('json')
    const config = c.var.config
    const tooLong = checkInputSize(input, config.maxInputChars)
    if (tooLong) return badRequest(c, [tooLong])
    const provider = input.provider ?? config.defaultProvider
    // Issue 8: the record's fields, the model policy (400) and the output cap.
    const { record, security } = c.var
    record.set({ provider, model: input.model ?? config[provider].model })
    record.prompt(input.user_input)
    const denied =
      checkModel(security.policy, provider, input.model, config[provider].model) ??
      checkMaxTokens(security.policy, input.max_tokens)
    if (denied) return badRequest(c, [denied])
    const maxTokens = outputTokens(security.policy, input.max_tokens)
    try {
      const result = await runAskWorkflow(
        provider,
        { ...chatRequestFrom(input), ...(maxTokens !== undefined ? { maxTokens } : {}), prompt: input.user_input },
        { providers: c.var.providers, signal: c.req.raw.signal ?? new AbortController().signal },
      )
      // Issue 8: the checked model name, masked fields and the record's pieces/bytes/usage.
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
