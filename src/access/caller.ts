import type { Context } from 'hono'
import type { AppEnv } from '../app-env'

/**
 * Who a request counts as, for rate limits and token budgets: the identity from access control
 * (`token:<index>`, `sub:<sub>`), else the client's IP (`ip:<address>`), else one shared `anonymous`.
 *
 * @example
 * const key = callerKey(c) // 'sub:alice'
 */
export function callerKey(c: Context<AppEnv>): string {
  const ip = c.get('clientIp')
  return c.get('caller') ?? (ip ? `ip:${ip}` : 'anonymous')
}
