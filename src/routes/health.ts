import { createRoute, type OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../app-env'
import { HealthSchema } from '../schemas'

const health = createRoute({
  method: 'get',
  path: '/health',
  tags: ['meta'],
  summary: 'Liveness and which providers are configured (never the keys)',
  responses: { 200: { content: { 'application/json': { schema: HealthSchema } }, description: 'The gateway is up.' } },
})

export function registerHealthRoute(app: OpenAPIHono<AppEnv>): void {
  app.openapi(health, (c) => {
    const { openai, gemini, defaultProvider } = c.var.config
    return c.json(
      {
        status: 'ok' as const,
        default_provider: defaultProvider,
        providers: {
          openai: { configured: openai.apiKey !== undefined, model: openai.model, base_url: openai.baseURL },
          gemini: { configured: gemini.apiKey !== undefined, model: gemini.model, base_url: gemini.baseURL },
        },
      },
      200,
    )
  })
}
