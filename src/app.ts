import { OpenAPIHono } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import { HTTPException } from 'hono/http-exception'
import type { AppEnv } from './app-env'
import { readConfig } from './env'
import { providersFor } from './providers/registry'
import type { FetchFunction } from './providers/types'
import { registerDocsRoutes } from './routes/docs'
import { registerFlowRoutes } from './routes/flows'
import { registerHealthRoute } from './routes/health'
import { registerStreamRoutes } from './routes/stream'
import { registerResumeRoutes } from './routes/streams'
import { streamHostFor } from './streams/host-for'
import type { StreamHost } from './streams/host'
import { badRequest, validationHook } from './validation'

export interface AppOptions {
  /** The `fetch` the providers call upstream with; the runtime's own by default. */
  fetch?: FetchFunction
  /** Serves `static/` where the runtime does not do it by itself (Bun, Node). */
  staticFiles?: MiddlewareHandler<AppEnv>
  /**
   * Open every SSE stream with a `: open` comment. Bun holds the status line and headers back
   * until the first body bytes, so without it a client (and EventSource's `onopen`) would wait
   * for the model's first token; Workers and Node send them at once.
   */
  flushHeadersEarly?: boolean
  /** Where resumable streams live; by default a Durable Object per stream when the RESUMABLE_STREAMS binding exists, else this process. */
  streams?: StreamHost
}

/**
 * Builds the gateway: the same app on Workers, Bun and Node.
 *
 * @example
 * export default createApp() // Workers: bindings arrive as `env`
 * Bun.serve({ fetch: (request) => createApp({ staticFiles }).fetch(request, process.env) })
 */
export function createApp(options: AppOptions = {}): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  const streams = streamHostFor(options.streams)

  app.use('*', async (c, next) => {
    const config = readConfig(c.env ?? {})
    c.set('config', config)
    c.set('providers', providersFor(config, options.fetch))
    c.set('flushHeadersEarly', options.flushHeadersEarly ?? false)
    c.set('streams', config.resumable ? streams(c.env ?? {}) : undefined)
    await next()
  })

  app.use(
    '*',
    cors({
      origin: (origin, c) => {
        const allowed = (c.var as AppEnv['Variables']).config.corsOrigins
        if (allowed === '*') return '*'
        return allowed.includes(origin) ? origin : null
      },
      allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
      allowHeaders: ['Content-Type', 'Accept', 'Authorization', 'Last-Event-ID', 'Cache-Control'],
      // A page reads X-Stream-Id to resume or stop a stream.
      exposeHeaders: ['X-Stream-Id'],
      maxAge: 86_400,
    }),
  )

  app.onError((error, c) => {
    if (error instanceof HTTPException) {
      if (error.status === 400 && /json/i.test(error.message)) {
        return badRequest(c, [{ field: 'body', message: 'is not valid JSON' }])
      }
      return error.getResponse()
    }
    console.error(JSON.stringify({ event: 'unhandled_error', path: c.req.path, message: error.message, stack: error.stack }))
    return c.json({ error: 'gateway: internal error. Retry; if it persists, check the gateway logs.' }, 500)
  })

  registerStreamRoutes(app)
  registerResumeRoutes(app)
  registerFlowRoutes(app)
  registerHealthRoute(app)
  registerDocsRoutes(app)
  app.get('/', (c) => c.redirect('/test_stream.html', 302))
  if (options.staticFiles) app.get('*', options.staticFiles)

  app.notFound((c) =>
    c.json({ error: `not found: ${c.req.method} ${c.req.path}. The API is described at /docs.` }, 404),
  )
  return app
}
