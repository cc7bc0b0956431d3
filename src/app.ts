import { OpenAPIHono } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { accessControl } from './access/access-control'
import { corsFor } from './access/cors'
import { rateLimiting } from './access/rate-limiting'
import type { RateLimiterFactory } from './access/rate-limit'
import { readSecurity } from './access/settings'
import type { AppEnv } from './app-env'
import type { BudgetLedger } from './budgets/ledger'
import { type Bindings, readConfig } from './env'
import { openAIAccessControl, openAIRateLimiting } from './apis/chat/access'
import { unknownUrl, withRequestId } from './renderers/chat/errors'
import { registerOpenAIRoutes } from './apis/chat/route'
import { registerResponsesRoutes } from './apis/responses/route'
import { providersFor } from './providers/registry'
import type { FetchFunction } from './providers/types'
import { registerDocsRoutes } from './routes/docs'
import { registerFlowRoutes } from './routes/flows'
import { registerHealthRoute } from './routes/health'
import { recordRequests } from './observability/request-middleware'
import { refuseHead } from './routes/api-methods'
import { plainStaticPath, securityHeaders } from './routes/security-headers'
import { registerStreamRoutes } from './routes/stream'
import { registerUsageRoute } from './routes/usage'
import { registerResumeRoutes } from './routes/streams'
import { DURABLE_OBJECT_STORE, MEMORY_STORE, type StoreStatus } from './stores/status'
import { streamHostFor } from './streams/host-for'
import type { StreamHost } from './streams/host'
import { badRequest, validationHook } from './validation'

/** What a bindings object gives every request (see the config middleware). */
type BindingsState = Pick<AppEnv['Variables'], 'config' | 'security' | 'providers' | 'streams' | 'store'>

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
  /**
   * The client's IP for per-caller rate limits where the runtime knows the socket (Bun, Node).
   * Without it the app uses `cf-connecting-ip`, which only Cloudflare sets trustworthily.
   */
  clientIp?: (request: Request) => string | undefined
  /** Where resumable streams live; by default a Durable Object per stream when the RESUMABLE_STREAMS binding exists, else this process. */
  streams?: StreamHost
  /** Builds the per-caller limiter for `RATE_LIMIT` (Bun, Node); in-memory by default, Redis with REDIS_URL. */
  rateLimiter?: RateLimiterFactory
  /**
   * Where `TOKEN_BUDGET` is counted when there is no BUDGETS binding (Bun, Node): this process's
   * memory by default, Redis with REDIS_URL. Resumable streams in this process settle into it too.
   */
  budgetLedger?: BudgetLedger
  /**
   * The shared store (Redis on Bun and Node with REDIS_URL) for `/health` and the log lines; by
   * default a Durable Object where the RESUMABLE_STREAMS binding exists, else this process's memory.
   */
  store?: StoreStatus
}

/** What the openai JS SDK sends from a browser (`dangerouslyAllowBrowser`); the last two only when set. */
const OPENAI_SDK_HEADERS = [
  'X-Stainless-Lang',
  'X-Stainless-Package-Version',
  'X-Stainless-OS',
  'X-Stainless-Arch',
  'X-Stainless-Runtime',
  'X-Stainless-Runtime-Version',
  'X-Stainless-Retry-Count',
  'X-Stainless-Timeout',
  'X-Stainless-Helper-Method',
  'OpenAI-Organization',
  'OpenAI-Project',
]

/**
 * Builds the gateway: the same app on Workers, Bun and Node.
 *
 * @example
 * export default createApp() // Workers: bindings arrive as `env`
 * Bun.serve({ fetch: (request) => createApp({ staticFiles }).fetch(request, process.env) })
 */
export function createApp(options: AppOptions = {}): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  const streams = streamHostFor(options.streams, options.budgetLedger)

  // What the bindings give every request, read once per bindings object (the same one for every request
  // on Bun and Node, and per isolate on Workers).
  const perBindings = new WeakMap<Bindings, BindingsState>()
  const stateFor = (bindings: Bindings): BindingsState => {
    let state = perBindings.get(bindings)
    if (!state) {
      const config = readConfig(bindings)
      state = {
        config,
        security: readSecurity(bindings, options.rateLimiter),
        providers: providersFor(config, options.fetch),
        streams: config.resumable ? streams(bindings) : undefined,
        store: options.store ?? (bindings.RESUMABLE_STREAMS ? DURABLE_OBJECT_STORE : MEMORY_STORE),
      }
      perBindings.set(bindings, state)
    }
    return state
  }
  const flushHeadersEarly = options.flushHeadersEarly ?? false

  app.use('*', async (c, next) => {
    const state = stateFor(c.env ?? {})
    c.set('config', state.config)
    c.set('security', state.security)
    c.set('providers', state.providers)
    c.set('store', state.store)
    c.set('flushHeadersEarly', flushHeadersEarly)
    // Unset and undefined read the same (`c.get`), so only what is there is set.
    if (state.streams) c.set('streams', state.streams)
    if (options.budgetLedger) c.set('budgetLedger', options.budgetLedger)
    const clientIp = options.clientIp ? options.clientIp(c.req.raw) : c.req.header('cf-connecting-ip')
    if (clientIp !== undefined) c.set('clientIp', clientIp)
    await next()
  })
  // Issue 8: request id + one log line per request, security headers, then access and limits.
  app.use('*', recordRequests)
  app.use('*', securityHeaders)

  app.use(
    '*',
    corsFor({
      allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
      allowHeaders: [
        'Content-Type',
        'Accept',
        'Authorization',
        'Last-Event-ID',
        'Cache-Control',
        'X-Request-Id',
        ...OPENAI_SDK_HEADERS,
      ],
      // A fetch reader on another origin reads these to resume or stop a stream, quote a request, back off,
      // and see what is left of its token budget.
      exposeHeaders: ['X-Stream-Id', 'X-Request-Id', 'Retry-After', 'X-Budget-Remaining', 'X-Budget-Reset'],
      maxAge: 86_400,
    }),
  )
  app.use('/api/*', refuseHead(app), accessControl, rateLimiting)
  // The OpenAI-compatible API: the same checks, OpenAI's error bodies.
  app.use('/v1/*', openAIAccessControl, openAIRateLimiting)

  app.onError((error, c) => {
    if (error instanceof HTTPException) {
      if (error.status === 400 && /json/i.test(error.message)) {
        return badRequest(c, [{ field: 'body', message: 'is not valid JSON' }])
      }
      return error.getResponse()
    }
    // The record logs the error (masked, no stack, no file path) on the request's one line.
    const record = c.get('record')
    const message = 'gateway: internal error. Retry; if it persists, check the gateway logs for this request id.'
    if (!record) return c.json({ error: message }, 500)
    return c.json({ error: record.fail(error, message), request_id: record.requestId }, 500)
  })

  registerStreamRoutes(app)
  registerResumeRoutes(app)
  registerFlowRoutes(app)
  registerOpenAIRoutes(app)
  registerResponsesRoutes(app)
  registerHealthRoute(app)
  registerUsageRoute(app)
  registerDocsRoutes(app)
  app.get('/', (c) => c.redirect('/test_stream.html', 302))
  if (options.staticFiles) app.get('*', plainStaticPath, options.staticFiles)

  app.notFound((c) => {
    // The OpenAI-compatible API answers in OpenAI's shape, so that the SDKs raise NotFoundError.
    if (/^\/v1(\/|$)/.test(c.req.path)) {
      return withRequestId(unknownUrl(c.req.method, c.req.path), c.get('record').requestId)
    }
    return c.json({ error: `not found: ${c.req.method} ${c.req.path}. The API is described at /docs.` }, 404)
  })
  return app
}
