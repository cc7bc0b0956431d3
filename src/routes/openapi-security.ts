/**
 * Issue 8: what the OpenAPI document says about access and limits. Every `/api/*` operation gets
 * the two ways to send a token (Bearer header, `access_token` query parameter) and its 401, 405
 * and 429 answers; `/health` and the documents stay without security.
 *
 * @example
 * app.get('/openapi.json', (c) => c.json(withAccessDocs(app.getOpenAPI31Document(config))))
 */

const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } }

const ANSWERS: Record<string, { description: string; content: typeof errorContent }> = {
  401: {
    description: 'No valid access token (only when ACCESS_TOKENS or TOKEN_SIGNING_SECRET is set).',
    content: errorContent,
  },
  405: { description: 'HEAD is not supported on the API.', content: errorContent },
  429: {
    description:
      'Too many requests from this caller (rate limit), or its token budget (TOKEN_BUDGET) cannot cover the request; see the Retry-After header.',
    content: errorContent,
  },
}

const SCHEMES = {
  bearerToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'A token from ACCESS_TOKENS, or an HS256 JWT (sub, exp) signed with TOKEN_SIGNING_SECRET.',
  },
  accessTokenQuery: {
    type: 'apiKey',
    in: 'query',
    name: 'access_token',
    description: 'The same token as a query parameter, for EventSource (which cannot send headers).',
  },
}

interface Operation {
  responses?: Record<string, unknown>
  security?: unknown
}

export function withAccessDocs<Doc extends object>(doc: Doc): Doc {
  const out = doc as Doc & { paths?: Record<string, Record<string, Operation>>; components?: Record<string, unknown> }
  out.components = {
    ...out.components,
    securitySchemes: { ...(out.components?.securitySchemes as object), ...SCHEMES },
  }
  for (const [path, operations] of Object.entries(out.paths ?? {})) {
    if (!path.startsWith('/api/')) continue
    for (const operation of Object.values(operations)) {
      operation.security = [{ bearerToken: [] }, { accessTokenQuery: [] }]
      operation.responses = { ...ANSWERS, ...operation.responses }
    }
  }
  return out
}
