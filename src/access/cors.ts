import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'
import { setResponseHeader } from '../observability/request-middleware'

export interface CorsOptions {
  allowMethods: string[]
  allowHeaders: string[]
  exposeHeaders: string[]
  maxAge: number
}

/**
 * CORS with CORS_ORIGINS (`*`, or a list the request's `Origin` must be in): the headers Hono's `cors()`
 * sends, for the same requests, set on the final response instead of on a response made up front.
 * Hono's creates that response before the handler runs, so every request built it, copied the
 * handler's response into another to merge the two, and copied it once more to append `Vary`; here
 * the handler's response gets the headers set on it (copied only if its headers are immutable).
 * A preflight (`OPTIONS`) is answered here with 204, as Hono's does.
 *
 * @example
 * app.use('*', corsFor({ allowMethods: ['GET', 'POST'], allowHeaders: ['Content-Type'], exposeHeaders: [], maxAge: 600 }))
 * // Origin: https://a.example, CORS_ORIGINS=https://a.example → Access-Control-Allow-Origin: https://a.example, Vary: Origin
 */
export function corsFor(options: CorsOptions): MiddlewareHandler<AppEnv> {
  const allowMethods = options.allowMethods.join(',')
  const allowHeaders = options.allowHeaders.join(',')
  const exposeHeaders = options.exposeHeaders.join(',')
  const maxAge = String(options.maxAge)
  return async (c, next) => {
    const allowed = c.get('config').corsOrigins
    const origin = c.req.header('origin') ?? ''
    const allowOrigin = allowed === '*' ? '*' : allowed.includes(origin) ? origin : undefined
    if (c.req.method === 'OPTIONS') {
      const headers = new Headers()
      if (allowOrigin) headers.set('Access-Control-Allow-Origin', allowOrigin)
      if (exposeHeaders) headers.set('Access-Control-Expose-Headers', exposeHeaders)
      headers.append('Vary', 'Origin')
      headers.set('Access-Control-Max-Age', maxAge)
      headers.set('Access-Control-Allow-Methods', allowMethods)
      headers.set('Access-Control-Allow-Headers', allowHeaders)
      headers.append('Vary', 'Access-Control-Request-Headers')
      return new Response(null, { headers, status: 204, statusText: 'No Content' })
    }
    await next()
    if (allowOrigin) setResponseHeader(c, 'Access-Control-Allow-Origin', allowOrigin)
    if (exposeHeaders) setResponseHeader(c, 'Access-Control-Expose-Headers', exposeHeaders)
    setResponseHeader(c, 'Vary', 'Origin', { append: true })
  }
}
