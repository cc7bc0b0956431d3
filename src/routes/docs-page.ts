/**
 * The `/docs` page: Swagger UI from the gateway's own origin, under a strict Content-Security-Policy.
 *
 * The Swagger UI files come from the pinned `swagger-ui-dist` package, copied into
 * `static/docs/assets/` by `scripts/copy-docs-assets.mjs` (served as static assets on Workers,
 * from disk on Bun and Node). The page has no inline script or style: {@link DOCS_INIT_SCRIPT}
 * is served as its own file, so the policy can forbid both.
 *
 * @example
 * app.get('/docs', (c) => c.html(DOCS_HTML, 200, { 'content-security-policy': DOCS_CSP }))
 */

/** Where the copied Swagger UI files are served. */
export const DOCS_ASSETS_PATH = '/docs/assets'

/** Only this origin, no inline code, no eval; `data:` images for Swagger UI's icons. */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>LLM SSE Gateway – API docs</title>
<link rel="stylesheet" href="${DOCS_ASSETS_PATH}/swagger-ui.css">
<link rel="icon" type="image/png" href="${DOCS_ASSETS_PATH}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"><noscript>The API reference needs JavaScript; the document itself is at <a href="/openapi.json">/openapi.json</a>.</noscript></div>
<script src="${DOCS_ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`

/** Starts Swagger UI on /openapi.json; says what to do when the copied files are missing. */
export const DOCS_INIT_SCRIPT = `'use strict'
if (typeof window.SwaggerUIBundle !== 'function') {
  document.getElementById('swagger-ui').textContent =
    'Swagger UI is missing from ${DOCS_ASSETS_PATH}/: run \`npm run docs:assets\` (or \`npm ci\`) and restart. The document itself is at /openapi.json.'
} else {
  window.ui = window.SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
  })
}
`
