import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'

/**
 * Issue 8: `HEAD` on an API route is a 405. Hono answers `HEAD` with the `GET` handler and drops
 * the body, which for a stream would start a paid upstream answer that nobody reads.
 *
 * @example
 * app.use('/api/*', refuseHead)
 */
export const refuseHead: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.method !== 'HEAD') return next()
  c.header('Allow', 'GET, POST, OPTIONS')
  return c.json({ error: `method: HEAD is not supported on ${c.req.path}; use GET or POST (see /docs).` }, 405)
}
