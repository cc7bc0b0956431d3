import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'
import { verifySignedToken } from './jwt'

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
 * `sub`). Anything else is a 401 JSON saying how to authenticate. Sets `c.var.caller`.
 *
 * @example
 * app.use('/api/*', accessControl)
 * // curl -H "Authorization: Bearer $TOKEN" …/api/stream/chat-get?user_input=Hi
 */
export const accessControl: MiddlewareHandler<AppEnv> = async (c, next) => {
  const security = c.var.security
  if (security.access === 'open') return next()
  const token = presentedToken(c.req.header('authorization'), c.req.query('access_token'))
  if (token === undefined) {
    c.header('WWW-Authenticate', 'Bearer realm="llm-sse-gateway"')
    return c.json({ error: `access: this gateway needs an access token. ${HOW}` }, 401)
  }
  let caller: string | undefined
  if (security.tokenCount > 0) {
    const index = await security.tokens.match(token)
    if (index >= 0) caller = `token:${index}`
  }
  if (caller === undefined && security.signingSecret) {
    const sub = await verifySignedToken(token, security.signingSecret)
    if (sub !== undefined) caller = `sub:${sub}`
  }
  if (caller === undefined) {
    c.header('WWW-Authenticate', 'Bearer realm="llm-sse-gateway", error="invalid_token"')
    return c.json({ error: `access: the access token is not valid (or has expired). ${HOW}` }, 401)
  }
  c.set('caller', caller)
  c.var.record.set({ caller })
  return next()
}
