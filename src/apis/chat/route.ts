import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { AppEnv } from '../../app-env'
import { resumeFromLastEventId } from '../../delivery/resumable'
import { chatCompletions } from './completions'
import { withRequestId } from '../../renderers/chat/errors'
import { listModels } from './models'
import { openAIBodyLimit, readOpenAIBody } from './openai-body'
import {
  CHUNKS_DESCRIPTION,
  ChatCompletionRequestSchema,
  ChatCompletionSchema,
  ModelListSchema,
  OpenAIErrorSchema,
} from './schemas'

/**
 * Registers `POST /v1/chat/completions` and `GET /v1/models`, and describes them in the OpenAPI
 * document. The body is read here rather than by a validator so that every error, malformed JSON
 * included, has OpenAI's shape. A request with `Last-Event-ID` resumes that stream and starts nothing.
 *
 * @example
 * registerOpenAIRoutes(app)
 */

export const errorResponse = (description: string) => ({
  content: { 'application/json': { schema: OpenAIErrorSchema } },
  description,
})

const completions = createRoute({
  method: 'post',
  path: '/v1/chat/completions',
  tags: ['openai'],
  summary: 'OpenAI-compatible chat completions (OpenAI or Gemini, picked by the model)',
  request: { body: { content: { 'application/json': { schema: ChatCompletionRequestSchema } }, required: true } },
  responses: {
    200: {
      content: {
        'application/json': { schema: ChatCompletionSchema },
        'text/event-stream': {
          schema: z
            .string()
            .openapi({ example: 'data: {"id":"chatcmpl-…","object":"chat.completion.chunk",…}\n\ndata: [DONE]\n\n' }),
        },
      },
      description: CHUNKS_DESCRIPTION,
    },
    400: errorResponse(
      "A parameter is invalid, Gemini cannot honour it, or the gateway's policy refuses it (ALLOWED_MODELS, MAX_OUTPUT_TOKENS, MAX_INPUT_CHARS); `param` and the message name it.",
    ),
    401: errorResponse(
      'No access token, or not a valid one (`missing_api_key`, `invalid_api_key`), when access control is on.',
    ),
    404: errorResponse('Unknown model (`model_not_found`).'),
    413: errorResponse(
      'The body is larger than MAX_BODY_BYTES (`request_too_large`), whether sent with Content-Length or chunked.',
    ),
    429: errorResponse("Over the rate limit (`rate_limit_exceeded`), with `Retry-After`; or the provider's own 429."),
    502: errorResponse(
      'The provider could not be reached or sent something unusable. Provider errors keep their status (401, 429, 503, …).',
    ),
  },
})

const models = createRoute({
  method: 'get',
  path: '/v1/models',
  tags: ['openai'],
  summary: 'The configured model of each provider that has an API key',
  responses: {
    200: { content: { 'application/json': { schema: ModelListSchema } }, description: 'OpenAI’s model list.' },
    401: errorResponse('No access token, or not a valid one, when access control is on.'),
    429: errorResponse('Over the rate limit (`rate_limit_exceeded`), with `Retry-After`.'),
  },
})

async function completionsReply(c: Context<AppEnv>): Promise<Response> {
  const body = await readOpenAIBody(c)
  return body instanceof Response ? body : chatCompletions(c, body)
}

export function registerOpenAIRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerPath(completions)
  app.post(completions.path, resumeFromLastEventId, openAIBodyLimit, async (c) =>
    withRequestId(await completionsReply(c), c.get('record').requestId),
  )
  app.openapi(models, (c) => c.json({ object: 'list' as const, data: listModels(c.get('config')) }, 200))
}
