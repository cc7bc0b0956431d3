import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../../app-env'
import { resumeFromLastEventId } from '../../delivery/resumable'
import { withRequestId } from '../../renderers/chat/errors'
import { openAIBodyLimit, readOpenAIBody } from '../chat/openai-body'
import { errorResponse } from '../chat/route'
import { createResponse } from './create'
import { cancelResponse, deleteResponse, retrieveResponse } from './retrieve'
import {
  RESPONSE_EVENTS_DESCRIPTION,
  ResponseCreateSchema,
  ResponseDeletedSchema,
  ResponseObjectSchema,
} from './schemas'

/**
 * Registers the Responses API (`POST /v1/responses`, `GET` / `DELETE /v1/responses/{response_id}`,
 * `POST /v1/responses/{response_id}/cancel`) and describes it in the OpenAPI document. Bodies are
 * read by the handlers, so every error has OpenAI's shape.
 *
 * @example
 * registerResponsesRoutes(app)
 */

const responseJson = { 'application/json': { schema: ResponseObjectSchema } }
const events = { 'text/event-stream': { schema: z.string() } }
const params = z.object({
  response_id: z.string().openapi({ param: { name: 'response_id', in: 'path' }, example: 'resp_6f0c…' }),
})
const notFound = errorResponse('Unknown or expired response (kept for RESPONSES_TTL_MS).')

const create = createRoute({
  method: 'post',
  path: '/v1/responses',
  tags: ['openai'],
  summary: 'OpenAI Responses API (OpenAI or Gemini, picked by the model): streamed, whole or in the background',
  request: { body: { content: { 'application/json': { schema: ResponseCreateSchema } }, required: true } },
  responses: {
    200: { content: { ...responseJson, ...events }, description: RESPONSE_EVENTS_DESCRIPTION },
    400: errorResponse(
      "A parameter is invalid, Gemini cannot honour it, or the gateway's policy refuses it (ALLOWED_MODELS, MAX_OUTPUT_TOKENS, MAX_INPUT_CHARS); `param` and the message name it.",
    ),
    401: errorResponse('No access token, or not a valid one, when access control is on.'),
    404: errorResponse('Unknown model (`model_not_found`) or `previous_response_id` (`previous_response_not_found`).'),
    413: errorResponse('The body is larger than MAX_BODY_BYTES (`request_too_large`).'),
    429: errorResponse("Over the rate limit (`rate_limit_exceeded`), with `Retry-After`; or the provider's own 429."),
    502: errorResponse(
      'The provider could not be reached or sent something unusable. Provider errors keep their status.',
    ),
  },
})

const retrieve = createRoute({
  method: 'get',
  path: '/v1/responses/{response_id}',
  tags: ['openai'],
  summary: 'A response as it stands; with ?stream=true its events after starting_after, then live',
  request: {
    params,
    query: z.object({
      stream: z.enum(['true', 'false']).optional(),
      starting_after: z.string().optional().openapi({ description: 'A sequence_number: replay the events after it.' }),
    }),
  },
  responses: {
    200: { content: { ...responseJson, ...events }, description: 'The Response object, or its events.' },
    404: notFound,
  },
})

const cancel = createRoute({
  method: 'post',
  path: '/v1/responses/{response_id}/cancel',
  tags: ['openai'],
  summary: 'Stop a response: the upstream request is closed, the response ends "cancelled"',
  request: { params },
  responses: {
    200: { content: responseJson, description: 'The cancelled (or already final) response.' },
    404: notFound,
  },
})

const remove = createRoute({
  method: 'delete',
  path: '/v1/responses/{response_id}',
  tags: ['openai'],
  summary: 'Stop a response if it runs and forget it',
  request: { params },
  responses: {
    200: { content: { 'application/json': { schema: ResponseDeletedSchema } }, description: 'Deleted.' },
    404: notFound,
  },
})

export function registerResponsesRoutes(app: OpenAPIHono<AppEnv>): void {
  for (const route of [create, retrieve, cancel, remove]) app.openAPIRegistry.registerPath(route)
  app.post('/v1/responses', resumeFromLastEventId, openAIBodyLimit, async (c) => {
    const body = await readOpenAIBody(c)
    const reply = body instanceof Response ? body : await createResponse(c, body)
    return withRequestId(reply, c.get('record').requestId)
  })
  app.get('/v1/responses/:response_id', async (c) =>
    withRequestId(await retrieveResponse(c, c.req.param('response_id')), c.get('record').requestId),
  )
  app.post('/v1/responses/:response_id/cancel', async (c) =>
    withRequestId(await cancelResponse(c, c.req.param('response_id')), c.get('record').requestId),
  )
  app.delete('/v1/responses/:response_id', async (c) =>
    withRequestId(await deleteResponse(c, c.req.param('response_id')), c.get('record').requestId),
  )
}
