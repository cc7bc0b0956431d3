import type { Hono, MiddlewareHandler } from 'hono'
import { TrieRouter } from 'hono/router/trie-router'
import type { AppEnv } from '../app-env'

/**
 * `HEAD` on an API route is a 405. Hono answers `HEAD` with the `GET` handler and drops the body,
 * which for a stream would start a paid upstream answer that nobody reads. `Allow` lists what the
 * path really serves, read from the app's own routes: `POST, OPTIONS` on `/api/stream/chat`,
 * `GET, DELETE, OPTIONS` on `/api/streams/{stream_id}` (OPTIONS: the CORS preflight, on every
 * path). A path no route serves goes on to the app's 404.
 *
 * @example
 * app.use('/api/*', refuseHead(app))
 */
export function refuseHead(app: Hono<AppEnv>): MiddlewareHandler<AppEnv> {
  // Built at the first HEAD, when every route is registered.
  let methodsOf: ((path: string) => string[]) | undefined
  return async (c, next) => {
    if (c.req.method !== 'HEAD') return next()
    methodsOf ??= apiMethods(app)
    const methods = methodsOf(c.req.path)
    if (methods.length === 0) return next()
    c.header('Allow', [...methods, 'OPTIONS'].join(', '))
    return c.json(
      { error: `method: HEAD is not supported on ${c.req.path}; use ${methods.join(' or ')} (see /docs).` },
      405,
    )
  }
}

const ORDER = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']

/** The methods of the app's `/api/` routes that match a path, in a stable order (middleware left out). */
function apiMethods(app: Hono<AppEnv>): (path: string) => string[] {
  const router = new TrieRouter<string>()
  for (const { method, path } of app.routes) {
    if (method !== 'ALL' && path.startsWith('/api/')) router.add('ALL', path, method)
  }
  return (path) => {
    const found = new Set(router.match('ALL', path)[0].map(([method]) => method))
    return ORDER.filter((method) => found.has(method))
  }
}
