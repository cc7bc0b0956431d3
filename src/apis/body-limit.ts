import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'

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
