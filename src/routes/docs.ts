import type { OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../app-env'
import { DOCS_CSP, DOCS_HTML, DOCS_INIT_SCRIPT } from './docs-page'
import { withAccessDocs } from './openapi-security'

const INFO = {
  title: 'LLM SSE Gateway',
  version: '0.1.0',
  description:
    'Streams OpenAI and Gemini chat answers as Server-Sent Events. Every event is one `data:` line of JSON (a `StreamEvent`): `{"chunk":"…","done":false}` per text piece, then `{"chunk":"","done":true,…}`; a failure ends the stream with `{"error":"…","done":true}`.',
}

/**
 * `GET /openapi.json` (generated from the request schemas), `GET /docs` (Swagger UI, every file from
 * this origin) and `GET /docs/init.js` (the page's start-up script).
 *
 * @example
 * registerDocsRoutes(app) // then: curl http://localhost:8000/openapi.json
 */
export function registerDocsRoutes(app: OpenAPIHono<AppEnv>): void {
  app.get('/openapi.json', (c) => {
    const doc = app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: INFO,
      // Never the Host header: PUBLIC_URL when set, else relative to where the document was loaded.
      servers: [{ url: c.get('security').publicUrl ?? '/' }],
    })
    // How to send an access token, and the 401 / 405 / 429 answers of the API routes.
    return c.json(withAccessDocs(doc))
  })
  app.get('/docs', (c) =>
    c.html(DOCS_HTML, 200, { 'content-security-policy': DOCS_CSP, 'x-content-type-options': 'nosniff' }),
  )
  app.get('/docs/init.js', (c) =>
    c.body(DOCS_INIT_SCRIPT, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    }),
  )
}
