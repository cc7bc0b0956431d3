import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'

/**
 * Rate limits the API routes per caller: the identity from access control, else the client's
 * IP, else one shared `anonymous` bucket. Over the limit: 429 JSON with `Retry-After`.
 * Unconfigured (no RATE_LIMITER binding, no RATE_LIMIT): no limit.
 *
 * @example
 * app.use('/api/*', accessControl, rateLimiting)
 */
export const rateLimiting: MiddlewareHandler<AppEnv> = async (c, next) => {
  const limiter = c.var.security.limiter
  if (!limiter || c.req.method === 'OPTIONS') return next()
  const ip = c.var.clientIp
  const key = c.var.caller ?? (ip ? `ip:${ip}` : 'anonymous')
  const { ok, retryAfterSeconds } = await limiter.limit(key)
  if (ok) return next()
  c.header('Retry-After', String(retryAfterSeconds))
  return c.json(
    { error: `rate limit: too many requests from this caller. Retry after ${retryAfterSeconds} s.` },
    429,
  )
}
