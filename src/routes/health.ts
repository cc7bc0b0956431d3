import { createRoute, type OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../app-env'
import { HealthSchema } from '../schemas'

const health = createRoute({
  method: 'get',
  path: '/health',
  tags: ['meta'],
  summary: 'Liveness, the shared store and which providers are configured (never the keys)',
  responses: { 200: { content: { 'application/json': { schema: HealthSchema } }, description: 'The gateway is up.' } },
})

export function registerHealthRoute(app: OpenAPIHono<AppEnv>): void {
  app.openapi(health, (c) => {
    const { openai, gemini, defaultProvider, tokenBudget, tokenBudgetError } = c.get('config')
    return c.json(
      {
        status: 'ok' as const,
        // Issue 8: whether the API needs a token; per provider only configured + model (no base URLs).
        access: c.get('security').access,
        store: c.get('store').kind,
        ok: c.get('store').ok,
        default_provider: defaultProvider,
        providers: {
          openai: { configured: openai.apiKey !== undefined, model: c.get('security').mask(openai.model) },
          gemini: { configured: gemini.apiKey !== undefined, model: c.get('security').mask(gemini.model) },
        },
        // Whether a token budget applies; never anyone's figures (those are GET /api/usage, per caller).
        budgets: tokenBudgetError ? ('misconfigured' as const) : tokenBudget ? ('on' as const) : ('off' as const),
      },
      200,
    )
  })
}
