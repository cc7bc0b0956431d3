import type { Context, MiddlewareHandler } from 'hono'
import { matchedRoutes } from 'hono/route'
import type { AppEnv } from '../app-env'
import { requestIdFor } from './request-id'
import { RequestRecord, type Outcome } from './request-record'

/** A line written while the shared store is unreachable says so, and so does one whose request began then. */
const STORE_UNAVAILABLE = { store: 'unavailable' }
const NO_FIELDS = {}

/**
 * The record's fields at finish for `store`. Made out here, so that the record (which lives as long
 * as its stream) holds only the store: a closure made in the middleware would keep the request's
 * whole context alive on Bun, whose closures hold their enclosing scopes.
 */
function storeFields(store: AppEnv['Variables']['store']): () => Record<string, unknown> {
  return () => (store.ok ? NO_FIELDS : STORE_UNAVAILABLE)
}

/** Sets (or appends to) a header of the response, copying it first when the runtime made its headers immutable. */
export function setResponseHeader(c: Context, name: string, value: string, options?: { append?: boolean }): void {
  try {
    if (options?.append) c.res.headers.append(name, value)
    else c.res.headers.set(name, value)
  } catch {
    c.res = new Response(c.res.body, c.res)
    if (options?.append) c.res.headers.append(name, value)
    else c.res.headers.set(name, value)
  }
}

function outcomeFor(status: number): Outcome {
  if (status >= 500) return 'error'
  return status >= 400 ? 'rejected' : 'done'
}

/**
 * Gives every request its {@link RequestRecord} (`c.var.record`) and request id, puts the id in
 * the `X-Request-Id` response header and emits the record's log line when the response is not a
 * stream (a stream emits it itself when it ends). Runs after the config middleware.
 *
 * @example
 * app.use('*', recordRequests)
 * app.get('/x', (c) => { c.var.record.set({ provider: 'gemini' }); return c.json({}) })
 */
export const recordRequests: MiddlewareHandler<AppEnv> = async (c, next) => {
  const { mask, logPrompts } = c.get('security')
  const store = c.get('store')
  const record = new RequestRecord({
    requestId: requestIdFor(c.req.header('x-request-id'), mask),
    method: c.req.method,
    mask,
    logPrompts,
    fieldsAtFinish: storeFields(store),
  })
  if (!store.ok) record.set(STORE_UNAVAILABLE)
  // The route is known before the handlers run (a stream may end, and log, before next() returns).
  const route = matchedRoutes(c).findLast((entry) => !entry.path.endsWith('*'))?.path
  record.set(route ? { route } : { route: '(none)', path: c.req.path.slice(0, 200) })
  c.set('record', record)
  await next()
  setResponseHeader(c, 'x-request-id', record.requestId)
  setResponseHeader(c, 'server-timing', record.serverTiming())
  if (!record.streaming) record.finish(outcomeFor(c.res.status), c.res.status)
}
