import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'
import { callerKey } from './caller'
import { gatewayRefusal, type RefusalReply } from './refusal'

/**
 * Rate limits the API routes per caller: the identity from access control, else the client's
 * IP, else one shared `anonymous` bucket. Over the limit: 429 with `Retry-After`, in the shape
 * `reply` gives it. Unconfigured (no RATE_LIMITER binding, no RATE_LIMIT): no limit.
 *
 * @example
 * app.use('/api/*', accessControl, createRateLimiting(gatewayRefusal))
 */
export const createRateLimiting =
  (reply: RefusalReply): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const limiter = c.get('security').limiter
    if (!limiter || c.req.method === 'OPTIONS') return next()
    const { ok, retryAfterSeconds } = await limiter.limit(callerKey(c))
    if (ok) return next()
    c.header('Retry-After', String(retryAfterSeconds))
    const message = `rate limit: too many requests from this caller. Retry after ${retryAfterSeconds} s.`
    return reply(c, { reason: 'rate_limited', status: 429, message, retryAfterSeconds })
  }

/** Rate limits with the gateway's `{"error":"…"}` replies (the `/api/*` routes). */
export const rateLimiting = createRateLimiting(gatewayRefusal)
