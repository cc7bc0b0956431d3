import type { MiddlewareHandler } from 'hono'
import { configBodyLimit } from '../apis/body-limit'
import type { AppEnv } from '../app-env'
import { ErrorSchema } from '../schemas'
import { badRequest, fieldErrors } from '../validation'

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i
const limitFor = configBodyLimit(
  (maxSize) => (c) =>
    fieldErrors(c, 413, [{ field: 'body', message: `must be at most ${maxSize} bytes (MAX_BODY_BYTES)` }]),
)

/**
 * Guards a JSON body: the Content-Type must be JSON (otherwise the fields would look missing,
 * 400) and the body must fit MAX_BODY_BYTES (413), whether its length is announced
 * (Content-Length) or not (chunked: counted as it arrives). Malformed JSON is reported by the
 * app's error handler.
 *
 * @example
 * createRoute({ method: 'post', path: '/api/flows/ask', middleware: [jsonBody] as const, … })
 * // a 300 KB body: 413 {"error":"body: must be at most 262144 bytes (MAX_BODY_BYTES)","issues":[…]}
 */
export const jsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  const mediaType = (c.req.header('content-type') ?? '').split(';')[0]?.trim() ?? ''
  if (!JSON_TYPE.test(mediaType)) {
    return badRequest(c, [
      {
        field: 'content-type',
        message: `must be application/json (got ${mediaType ? JSON.stringify(mediaType) : 'none'})`,
      },
    ])
  }
  return limitFor(c.get('config'))(c, next)
}

/** The OpenAPI description of the 413 of a route guarded by {@link jsonBody}. */
export const bodyTooLargeResponse = {
  content: { 'application/json': { schema: ErrorSchema } },
  description:
    'The body is larger than MAX_BODY_BYTES (sent with Content-Length or chunked); the message names `body` and the limit.',
}
