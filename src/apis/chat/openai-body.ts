import type { Context, MiddlewareHandler } from 'hono'
import { configBodyLimit } from '../body-limit'
import type { AppEnv } from '../../app-env'
import type { GatewayConfig } from '../../env'
import { openAIError, withRequestId } from '../../renderers/chat/errors'

/**
 * The JSON body of an OpenAI-compatible request, read by the route rather than a validator so that
 * every error, malformed JSON and a body over MAX_BODY_BYTES included, has OpenAI's shape.
 *
 * @example
 * app.post('/v1/responses', openAIBodyLimit, async (c) => {
 *   const body = await readOpenAIBody(c)
 *   if (body instanceof Response) return body
 * })
 */

const limitFor = configBodyLimit(
  (maxSize) => (c) =>
    withRequestId(
      openAIError(413, `The request body must be at most ${maxSize} bytes (MAX_BODY_BYTES).`, {
        code: 'request_too_large',
        retry: false,
      }),
      (c as Context<AppEnv>).get('record').requestId,
    ),
)

/** 413 `request_too_large` for a body over MAX_BODY_BYTES, sent with Content-Length or chunked. */
export const openAIBodyLimit: MiddlewareHandler<AppEnv> = (c, next) => limitFor(c.get('config'))(c, next)

/** The body as a JSON object, or the 400 reply for anything else. */
export async function readOpenAIBody(c: Context<AppEnv>): Promise<Record<string, unknown> | Response> {
  let body: unknown
  try {
    body = await c.req.raw.json()
  } catch {
    return openAIError(400, 'We could not parse the JSON body of your request. Send a JSON object.', {
      code: 'invalid_json',
    })
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return openAIError(400, 'The request body must be a JSON object.', { code: 'invalid_type' })
  }
  return body as Record<string, unknown>
}
