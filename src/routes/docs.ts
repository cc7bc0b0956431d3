import type { OpenAPIHono } from '@hono/zod-openapi'
import { swaggerUI } from '@hono/swagger-ui'
import type { AppEnv } from '../app-env'
import { withAccessDocs } from './openapi-security'

const INFO = {
  title: 'LLM SSE Gateway',
  version: '0.1.0',
  description:
    'Streams OpenAI and Gemini chat answers as Server-Sent Events. Every event is one `data:` line of JSON: `{"chunk":"…","done":false}` per text piece, then `{"chunk":"","done":true,…}`; a failure ends the stream with `{"error":"…","done":true}`.',
}

/** `GET /openapi.json` (generated from the request schemas) and `GET /docs` (Swagger UI). */
export function registerDocsRoutes(app: OpenAPIHono<AppEnv>): void {
  app.get('/openapi.json', (c) => {
    const doc = app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: INFO,
      // Issue 8: never the Host header: PUBLIC_URL when set, else relative to where the document was loaded.
      servers: [{ url: c.var.security.publicUrl ?? '/' }],
    })
    // Issue 8: how to send an access token, and the 401 / 405 / 429 answers of the API routes.
    return c.json(withAccessDocs(doc))
  })
  app.get('/docs', swaggerUI({ url: '/openapi.json', title: 'LLM SSE Gateway – API docs' }))
}
