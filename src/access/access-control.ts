import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'
import { verifySignedToken } from './jwt'
import { gatewayRefusal, type RefusalReply } from './refusal'

const HOW = [
  'Send "Authorization: Bearer <token>", or add "?access_token=<token>" to the URL (for EventSource),',
  'with a token from ACCESS_TOKENS or one signed with TOKEN_SIGNING_SECRET.',
].join(' ')

/** The credential a request presents: the Bearer token, else `?access_token=`. */
function presentedToken(authorization: string | undefined, query: string | undefined): string | undefined {
  const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '')
  return bearer?.[1] ?? (query?.trim() || undefined)
}

/**
 * Access control for the API routes. Open (everyone served) unless ACCESS_TOKENS or
 * TOKEN_SIGNING_SECRET is set; then a request needs a static token (compared in constant time;
 * its identity is `token:<index>`) or a JWT signed with TOKEN_SIGNING_SECRET (identity: its
 * `sub`). Anything else is a 401 JSON saying how to authenticate, in the shape `reply` gives it.
 * Sets `c.var.caller`, and `c.var.callerBudget` from a signed token's `budget` claim.
 *
 * @example
 * app.use('/api/*', createAccessControl(gatewayRefusal))
 * // curl -H "Authorization: Bearer $TOKEN" …/api/stream/chat-get?user_input=Hi
 */
export const createAccessControl =
  (reply: RefusalReply): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const security = c.get('security')
    if (security.access === 'open') return next()
    const token = presentedToken(c.req.header('authorization'), c.req.query('access_token'))
    if (token === undefined) {
      c.header('WWW-Authenticate', 'Bearer realm="llm-sse-gateway"')
      return reply(c, {
        reason: 'missing_token',
        status: 401,
        message: `access: this gateway needs an access token. ${HOW}`,
      })
    }
    let caller: string | undefined
    if (security.tokenCount > 0) {
      const index = await security.tokens.match(token)
      if (index >= 0) caller = `token:${index}`
    }
    if (caller === undefined && security.signingSecret) {
      const signed = await verifySignedToken(token, security.signingSecret)
      if (signed && 'error' in signed) {
        c.header('WWW-Authenticate', 'Bearer realm="llm-sse-gateway", error="invalid_token"')
        return reply(c, { reason: 'invalid_token', status: 401, message: `access: ${signed.error}.` })
      }
      if (signed) {
        caller = `sub:${signed.sub}`
        c.set('callerBudget', signed.budget)
      }
    }
    if (caller === undefined) {
      c.header('WWW-Authenticate', 'Bearer realm="llm-sse-gateway", error="invalid_token"')
      const message = `access: the access token is not valid (or has expired). ${HOW}`
      return reply(c, { reason: 'invalid_token', status: 401, message })
    }
    c.set('caller', caller)
    c.get('record').set({ caller })
    return next()
  }

/** Access control with the gateway's `{"error":"…"}` replies (the `/api/*` routes). */
export const accessControl = createAccessControl(gatewayRefusal)
