import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { GatewayConfig } from '../env'

/**
 * Hono's `bodyLimit`, the same answers, with a shortcut for the usual request: a body whose length is
 * announced (Content-Length, no Transfer-Encoding) is judged by that header without touching
 * `request.body`, which makes Bun build a stream for a body that is then read whole anyway. A body of
 * unannounced length (chunked) goes to Hono's, which counts its bytes as they arrive.
 *
 * @example
 * app.post('/x', announcedBodyLimit({ maxSize: 1024, onError: (c) => c.json({ error: 'too large' }, 413) }), handler)
 */
export function announcedBodyLimit(options: {
  maxSize: number
  onError: (c: Context) => Response | Promise<Response>
}): MiddlewareHandler {
  const counted = bodyLimit(options)
  return async (c, next) => {
    const headers = c.req.raw.headers
    const length = headers.get('content-length')
    if (length === null || headers.has('transfer-encoding')) return counted(c, next)
    // As Hono's: a request without a body passes, whatever it announces.
    if (Number.parseInt(length || '0', 10) > options.maxSize && c.req.raw.body) return options.onError(c)
    return next()
  }
}

/**
 * The body limit of a request's configuration (MAX_BODY_BYTES), built once per configuration; `tooLarge`
 * makes the 413 reply for a limit.
 *
 * @example
 * const limit = configBodyLimit((maxSize) => (c) => c.json({ error: `at most ${maxSize} bytes` }, 413))
 * app.use('/x', (c, next) => limit(c.get('config'))(c, next))
 */
export function configBodyLimit(
  tooLarge: (maxSize: number) => (c: Context) => Response | Promise<Response>,
): (config: GatewayConfig) => MiddlewareHandler {
  const limits = new WeakMap<GatewayConfig, MiddlewareHandler>()
  return (config) => {
    let limit = limits.get(config)
    if (!limit) {
      const maxSize = config.maxBodyBytes
      limit = announcedBodyLimit({ maxSize, onError: tooLarge(maxSize) })
      limits.set(config, limit)
    }
    return limit
  }
}
