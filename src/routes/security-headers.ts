import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'
import { setResponseHeader } from '../observability/request-middleware'
import { DOCS_CSP } from './docs-page'

/**
 * Security headers for the HTML pages: the test client (static/, any gateway URL may be typed
 * in, hence `connect-src *`) and the docs page (Swagger UI from this origin, no inline code:
 * {@link DOCS_CSP}). On Workers, static/_headers sends the same headers for the static files; on Bun
 * and Node the app does, with {@link securityHeaders}.
 *
 * @example
 * app.use('*', securityHeaders)
 */
const LOCKED = "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

export const CLIENT_CSP = [
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src *",
  LOCKED,
].join('; ')

/** Sent with every response (static files included, through static/_headers on Workers). */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
}

export const securityHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next()
  for (const [name, value] of Object.entries(COMMON_HEADERS)) setResponseHeader(c, name, value)
  if (!/^text\/html\b/i.test(c.res.headers.get('content-type') ?? '')) return
  setResponseHeader(c, 'Content-Security-Policy', c.req.path === '/docs' ? DOCS_CSP : CLIENT_CSP)
  setResponseHeader(c, 'X-Frame-Options', 'DENY')
}

/**
 * Lets only plain file paths reach the static file server (Bun, Node): no NUL, backslash, `..`,
 * undecodable escapes or hidden (`.x`, `_x`) segments, so odd paths are a 404, never a 500
 * showing a file system path.
 */
export const plainStaticPath: MiddlewareHandler<AppEnv> = async (c, next) => {
  let path: string
  try {
    path = decodeURIComponent(new URL(c.req.url).pathname)
  } catch {
    return c.notFound()
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters in a path are what this refuses
  if (/[\0\\]|\/\.\.?(\/|$)|\/[._]/.test(path) || /[\u0000-\u001f\u007f]/.test(path)) return c.notFound()
  return next()
}
