import type { Context } from 'hono'
import type { AppEnv } from '../app-env'

/**
 * Why access control or the rate limit turned a request away, for the reply that says so. The
 * checks are the same for every API; only the reply's shape differs (the gateway's
 * `{"error":"…"}`, OpenAI's `{"error":{"message","type","param","code"}}`), so the middleware
 * factories take a {@link RefusalReply}.
 *
 * @example
 * const reply: RefusalReply = (c, refusal) => c.json({ error: refusal.message }, refusal.status)
 */
export type Refusal =
  | { reason: 'missing_token' | 'invalid_token'; status: 401; message: string }
  | { reason: 'rate_limited'; status: 429; message: string; retryAfterSeconds: number }

/** Builds the reply; the middleware has set `WWW-Authenticate` or `Retry-After` on `c` already. */
export type RefusalReply = (c: Context<AppEnv>, refusal: Refusal) => Response

/** The gateway's own shape: `{"error":"access: …"}`. */
export const gatewayRefusal: RefusalReply = (c, refusal) => c.json({ error: refusal.message }, refusal.status)
