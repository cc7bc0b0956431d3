import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { AppEnv } from '../app-env'
import { badRequest } from '../validation'

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i

/**
 * Guards a JSON body: the Content-Type must be JSON (otherwise the fields would look
 * missing) and the body must fit MAX_BODY_BYTES. Malformed JSON is reported by the app's
 * error handler.
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
  const maxSize = c.var.config.maxBodyBytes
  return bodyLimit({
    maxSize,
    onError: (c) => badRequest(c, [{ field: 'body', message: `must be at most ${maxSize} bytes` }]),
  })(c, next)
}
