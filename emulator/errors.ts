/**
 * Error bodies as the real services send them (copied from the recorded fixtures in
 * test/fixtures/, whose provenance is in test/fixtures/SOURCES.md).
 *
 * OpenAI has two layouts: legacy (4-space indent, message/type/param/code, trailing \n) and the
 * newer validation layer (2-space indent, alphabetical keys, no trailing \n). Gemini errors are
 * 2-space indented with a trailing \n.
 */

export interface ErrorReply {
  status: number
  /** Content-Type for the reply (Gemini streaming requests override it with text/event-stream). */
  contentType: string
  body: string
  headers?: Record<string, string>
}

interface OpenAIError {
  message: string
  type: string
  param: string | null
  code: string | null
}

/** Legacy OpenAI layout. */
export function openaiLegacy(
  status: number,
  e: OpenAIError,
  headers?: Record<string, string>,
  contentType = 'application/json; charset=utf-8',
): ErrorReply {
  const error = { message: e.message, type: e.type, param: e.param, code: e.code }
  return { status, contentType, body: `${JSON.stringify({ error }, null, 4)}\n`, headers }
}

/** New OpenAI validation-layer layout (alphabetical keys, no trailing newline). */
export function openaiNew(status: number, e: OpenAIError): ErrorReply {
  const error = { code: e.code, message: e.message, param: e.param, type: e.type }
  return { status, contentType: 'application/json', body: JSON.stringify({ error }, null, 2) }
}

/** `sk-test*****...1234`: the way OpenAI echoes a wrong key. */
export function maskKey(key: string): string {
  if (key.length <= 8) return `${key.slice(0, 3)}***${key.slice(-1)}`
  const head = Math.min(7, key.length - 4)
  return `${key.slice(0, head)}${'*'.repeat(key.length - head - 4)}${key.slice(-4)}`
}

export const openaiErrors = {
  missingKey: () =>
    openaiLegacy(401, {
      message:
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
      type: 'invalid_request_error',
      param: null,
      code: null,
    }),
  invalidKey: (key: string) =>
    openaiLegacy(401, {
      message: `Incorrect API key provided: ${maskKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      type: 'invalid_request_error',
      param: null,
      code: 'invalid_api_key',
    }),
  unsupportedParameter: () =>
    openaiNew(400, {
      code: 'unsupported_parameter',
      message:
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
      param: 'max_tokens',
      type: 'invalid_request_error',
    }),
  forbiddenRegion: () =>
    openaiLegacy(403, {
      message: 'Country, region, or territory not supported',
      type: 'request_forbidden',
      param: null,
      code: 'unsupported_country_region_territory',
    }),
  modelNotFound: (model: string) =>
    openaiLegacy(404, {
      message: `The model \`${model}\` does not exist or you do not have access to it.`,
      type: 'invalid_request_error',
      param: null,
      code: 'model_not_found',
    }),
  rateLimit: (model: string) =>
    openaiLegacy(
      429,
      {
        message: `Rate limit reached for ${model} in organization org-2UNBOwAjq6LkaA8Fl347aXVc on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms. Visit https://platform.openai.com/account/rate-limits to learn more.`,
        type: 'requests',
        param: null,
        code: 'rate_limit_exceeded',
      },
      {
        'x-ratelimit-limit-requests': '500',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '120ms',
      },
      'application/json', // as recorded for this reply
    ),
  quota: () =>
    openaiLegacy(429, {
      message:
        'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
      type: 'insufficient_quota',
      param: null,
      code: 'insufficient_quota',
    }),
  server: () =>
    openaiLegacy(500, {
      message: 'The server had an error while processing your request. Sorry about that!',
      type: 'server_error',
      param: null,
      code: null,
    }),
  overloaded: () =>
    openaiLegacy(503, {
      message:
        'That model is currently overloaded with other requests. You can retry your request, or contact us through our help center at help.openai.com if the error persists. (Please include the request ID 500d9fff2057e4af93a280f67002c342 in your message.)',
      type: 'server_error',
      param: null,
      code: null,
    }),
  invalidJson: () =>
    openaiLegacy(400, {
      message:
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
      type: 'invalid_request_error',
      param: null,
      code: null,
    }),
  missingModel: () =>
    openaiLegacy(400, {
      message: 'you must provide a model parameter',
      type: 'invalid_request_error',
      param: null,
      code: null,
    }),
  unrecognized: (key: string) =>
    openaiLegacy(400, {
      message: `Unrecognized request argument supplied: ${key}`,
      type: 'invalid_request_error',
      param: null,
      code: null,
    }),
  invalidUrl: (method: string, path: string) =>
    openaiLegacy(404, {
      message: `Invalid URL (${method} ${path})`,
      type: 'invalid_request_error',
      param: null,
      code: null,
    }),
  /** New-layout validation error (`missing_required_parameter`, `empty_array`, `invalid_type`, ...). */
  validation: (code: string, param: string, message: string) =>
    openaiNew(400, { code, message, param, type: 'invalid_request_error' }),
  /** The mid-stream error event payload (`data: {"error":{…}}` inside a 200 stream). */
  midstream: () => ({
    error: {
      message:
        'The server had an error processing your request. Sorry about that! You can retry your request, or contact us through our help center at help.openai.com if you keep seeing this error. (Please include the request ID fb94b183e8b7bc5aca22fa62981cc107 in your email.)',
      type: 'server_error',
      param: null,
      code: null,
    },
  }),
}

/** Gemini layout: `{"error": {code, message, status, details?}}`, 2-space indent, trailing newline. */
export function geminiError(code: number, status: string, message: string, details?: unknown[]): ErrorReply {
  const error: Record<string, unknown> = { code, message, status }
  if (details) error.details = details
  return {
    status: code,
    contentType: 'application/json; charset=UTF-8',
    body: `${JSON.stringify({ error }, null, 2)}\n`,
  }
}

const invalidKeyMessage = 'API key not valid. Please pass a valid API key.'
const notFoundMessage = (model: string, version: string) =>
  `models/${model} is not found for API version ${version}, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`

export const geminiErrors = {
  invalidKey: () =>
    geminiError(400, 'INVALID_ARGUMENT', invalidKeyMessage, [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'API_KEY_INVALID',
        domain: 'googleapis.com',
        metadata: { service: 'generativelanguage.googleapis.com' },
      },
      { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message: invalidKeyMessage },
    ]),
  missingKey: () =>
    geminiError(
      403,
      'PERMISSION_DENIED',
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
    ),
  badRequest: (message = 'Request contains an invalid argument.') => geminiError(400, 'INVALID_ARGUMENT', message),
  /** BadRequest with a field violation, as for unknown JSON fields. */
  badField: (message: string, field?: string) =>
    geminiError(400, 'INVALID_ARGUMENT', message, [
      {
        '@type': 'type.googleapis.com/google.rpc.BadRequest',
        fieldViolations: [field === undefined ? { description: message } : { field, description: message }],
      },
    ]),
  unauthenticated: () =>
    geminiError(
      401,
      'UNAUTHENTICATED',
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    ),
  modelNotFound: (model: string, version: string) => {
    const m = notFoundMessage(model, version)
    return geminiError(404, 'NOT_FOUND', m, [
      {
        '@type': 'type.googleapis.com/google.rpc.DebugInfo',
        detail: `[ORIGINAL ERROR] generic::not_found: ${m} [google.rpc.error_details_ext] { message: ${JSON.stringify(m)} }`,
      },
    ])
  },
  quota: (model: string) =>
    geminiError(
      429,
      'RESOURCE_EXHAUSTED',
      'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.',
      [
        {
          '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
          violations: [
            {
              quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_input_token_count',
              quotaId: 'GenerateContentInputTokensPerModelPerMinute-FreeTier',
              quotaDimensions: { location: 'global', model },
              quotaValue: '250000',
            },
          ],
        },
        {
          '@type': 'type.googleapis.com/google.rpc.Help',
          links: [
            {
              description: 'Learn more about Gemini API quotas',
              url: 'https://ai.google.dev/gemini-api/docs/rate-limits',
            },
          ],
        },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '26s' },
      ],
    ),
  internal: () =>
    geminiError(
      500,
      'INTERNAL',
      'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
    ),
  unavailable: () =>
    geminiError(
      503,
      'UNAVAILABLE',
      'This model is currently experiencing high demand. Spikes in demand are usually temporary. Please try again later.',
    ),
  overloaded: () => geminiError(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.'),
}

/** Google's HTML 404 page for paths the API does not know (the real service answers HTML here). */
export function googleHtml404(path: string): ErrorReply {
  const body = `<!DOCTYPE html>
<html lang=en>
  <meta charset=utf-8>
  <meta name=viewport content="initial-scale=1, minimum-scale=1, width=device-width">
  <title>Error 404 (Not Found)!!1</title>
  <a href=//www.google.com/><span id=logo aria-label=Google></span></a>
  <p><b>404.</b> <ins>That’s an error.</ins>
  <p>The requested URL <code>${path.replace(/[<>&"]/g, '')}</code> was not found on this server.  <ins>That’s all we know.</ins>
`
  return { status: 404, contentType: 'text/html; charset=UTF-8', body }
}

/** Google's status name for an HTTP status the recorded fixtures do not cover. */
const GOOGLE_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  408: 'DEADLINE_EXCEEDED',
  409: 'ABORTED',
  499: 'CANCELLED',
  504: 'DEADLINE_EXCEEDED',
}

/** An error reply for any other 4xx/5xx status (`status=502`), in the provider's layout. */
function genericReply(provider: 'openai' | 'gemini', status: number): ErrorReply {
  const server = status >= 500
  if (provider === 'openai') {
    return openaiLegacy(status, {
      message: server
        ? `The server had an error while processing your request (HTTP ${status}).`
        : `The request failed (HTTP ${status}).`,
      type: server ? 'server_error' : 'invalid_request_error',
      param: null,
      code: null,
    })
  }
  const name = GOOGLE_STATUS[status] ?? (server ? 'UNAVAILABLE' : 'FAILED_PRECONDITION')
  return geminiError(
    status,
    name,
    server ? `The service is currently unavailable (HTTP ${status}).` : `The request failed (HTTP ${status}).`,
  )
}

/**
 * An error reply with `Retry-After: <seconds>`; a Gemini body that carries a `RetryInfo` detail says the
 * same delay there.
 */
export function withRetryAfter(reply: ErrorReply, seconds: number | undefined): ErrorReply {
  if (seconds === undefined) return reply
  return {
    ...reply,
    body: reply.body.replace(/("retryDelay": )"[^"]*"/, `$1"${seconds}s"`),
    headers: { ...reply.headers, 'retry-after': String(seconds) },
  }
}

/** The reply for a status-type fault, per provider. Undefined for stream faults. */
export function faultReply(
  provider: 'openai' | 'gemini',
  fault: string,
  ctx: { model: string; version: string; key: string },
): ErrorReply | undefined {
  const known = knownFaultReply(provider, fault, ctx)
  if (known || !/^[45]\d\d$/.test(fault)) return known
  return genericReply(provider, Number(fault))
}

function knownFaultReply(
  provider: 'openai' | 'gemini',
  fault: string,
  ctx: { model: string; version: string; key: string },
): ErrorReply | undefined {
  if (provider === 'openai') {
    switch (fault) {
      case '400':
        return openaiErrors.unsupportedParameter()
      case '401':
      case 'badkey':
        return openaiErrors.invalidKey(ctx.key || 'sk-emulator-invalid-key-0000')
      case 'nokey':
        return openaiErrors.missingKey()
      case '403':
        return openaiErrors.forbiddenRegion()
      case '404':
        return openaiErrors.modelNotFound(ctx.model)
      case '429':
        return openaiErrors.rateLimit(ctx.model)
      case 'quota':
        return openaiErrors.quota()
      case '500':
        return openaiErrors.server()
      case '503':
      case 'overloaded':
        return openaiErrors.overloaded()
      default:
        return undefined
    }
  }
  switch (fault) {
    case '400':
      return geminiErrors.badRequest()
    case 'badkey':
      return geminiErrors.invalidKey()
    case '401':
      return geminiErrors.unauthenticated()
    case '403':
    case 'nokey':
      return geminiErrors.missingKey()
    case '404':
      return geminiErrors.modelNotFound(ctx.model, ctx.version)
    case '429':
    case 'quota':
      return geminiErrors.quota(ctx.model)
    case '500':
      return geminiErrors.internal()
    case '503':
      return geminiErrors.unavailable()
    case 'overloaded':
      return geminiErrors.overloaded()
    default:
      return undefined
  }
}
