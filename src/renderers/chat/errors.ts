import { ProviderError } from '../../providers/errors'
import { failureStatus, worthRetrying } from '../../providers/failure-status'

/**
 * Errors in OpenAI's shape, `{"error":{"message","type","param","code"}}`, so that the openai SDKs
 * raise their usual classes (BadRequestError, NotFoundError, RateLimitError, …) with the right status.
 *
 * @example
 * return openAIError(404, 'The model `x` does not exist or you do not have access to it.', {
 *   param: 'model', code: 'model_not_found',
 * })
 */

export interface OpenAIErrorFields {
  type?: string
  param?: string | null
  code?: string | null
}

/** The body of an OpenAI error. */
export function errorBody(message: string, status: number, fields: OpenAIErrorFields = {}) {
  return {
    error: { message, type: fields.type ?? typeFor(status), param: fields.param ?? null, code: fields.code ?? null },
  }
}

/** OpenAI's error `type` for a status. */
export function typeFor(status: number): string {
  if (status === 401) return 'authentication_error'
  if (status === 403) return 'permission_error'
  if (status === 429) return 'rate_limit_error'
  if (status >= 500) return 'server_error'
  return 'invalid_request_error'
}

/**
 * A JSON error reply. `retry: false` adds `x-should-retry: false`, which the openai SDKs honour
 * (they would otherwise retry 408, 409, 429 and 5xx on their own).
 */
export function openAIError(
  status: number,
  message: string,
  fields: OpenAIErrorFields & { retry?: boolean; headers?: Record<string, string> } = {},
): Response {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...fields.headers }
  if (fields.retry === false) headers['x-should-retry'] = 'false'
  return new Response(JSON.stringify(errorBody(message, status, fields)), { status, headers })
}

export function modelNotFound(model: string): Response {
  return openAIError(404, `The model \`${model}\` does not exist or you do not have access to it.`, {
    param: 'model',
    code: 'model_not_found',
  })
}

/**
 * OpenAI's 404 for a URL it does not serve, e.g. `POST /v1/embeddings` (the SDKs raise
 * NotFoundError); `code` is `unknown_url`, as OpenAI's own.
 */
export function unknownUrl(method: string, path: string): Response {
  return openAIError(
    404,
    `Unknown request URL: ${method} ${path.slice(0, 200)}. Please check the URL for typos, or see this gateway's API at /docs: it serves POST /v1/chat/completions, POST /v1/responses and GET /v1/models.`,
    { code: 'unknown_url' },
  )
}

/** A request parameter the gateway rejects, e.g. `{ param: 'n', message: "'n' must be 1 …" }`. */
export interface ParamIssue {
  param: string
  message: string
}

/** 400 naming every rejected parameter; `param` is the first of them. */
export function invalidParams(issues: ParamIssue[]): Response {
  const unsupported = issues.every((issue) => issue.message.startsWith('unsupported'))
  return openAIError(400, issues.map((issue) => `${issue.param}: ${issue.message}`).join('; '), {
    param: issues[0]?.param ?? null,
    code: unsupported ? 'unsupported_parameter' : 'invalid_value',
  })
}

/**
 * An OpenAI error reply for a provider failure before the first chunk, with the status of
 * {@link failureStatus}, the provider's own `type`/`param`/`code` where it sent them, and its
 * `Retry-After`; `message` replaces the error's own (the request record's masked copy of it).
 */
export function providerErrorResponse(error: unknown, { message }: { message?: string } = {}) {
  const { message: fallback, code } = describeFailure(error)
  const status = failureStatus(error)
  // The provider's fields describe the client's request only when its status is passed on.
  const reported = error instanceof ProviderError && error.status === status ? error.reported : undefined
  const wait = error instanceof ProviderError ? error.retryAfterMs : undefined
  return openAIError(status, message ?? fallback, {
    code,
    ...reported,
    retry: worthRetrying(error) ? undefined : false,
    ...(wait !== undefined ? { headers: { 'retry-after': String(Math.ceil(wait / 1000)) } } : {}),
  })
}

/**
 * An error after the first chunk: a `data: {"error":…}` frame (the SDKs raise APIError; `[DONE]`
 * follows it). The request id rides along as a top-level `request_id`, as on every error body.
 */
export function errorFrameText(message: string, code: string, requestId?: string): string {
  const body = { ...errorBody(message, 500, { code }), ...(requestId ? { request_id: requestId } : {}) }
  return `data: ${JSON.stringify(body)}\n\n`
}

/**
 * Adds the request id to an error reply, as a top-level `request_id` next to `error` (the SDKs
 * read `error` and ignore it; the `X-Request-Id` header, which they show as `requestID`, says it
 * too). Only 4xx/5xx JSON replies are touched; others pass as they are.
 *
 * @example
 * return withRequestId(await chatCompletions(body, context), c.var.record.requestId)
 */
export async function withRequestId(response: Response, requestId: string): Promise<Response> {
  if (response.status < 400 || !response.headers.get('content-type')?.startsWith('application/json')) return response
  const body = (await response.json()) as Record<string, unknown>
  return new Response(JSON.stringify({ ...body, request_id: requestId }), {
    status: response.status,
    headers: response.headers,
  })
}

/** The public message and code for any failure while streaming. */
export function describeFailure(error: unknown): { message: string; code: string } {
  if (error instanceof ProviderError) return { message: error.message, code: error.kind }
  return {
    message: 'gateway: internal error while streaming the answer. Retry; if it persists, check the gateway logs.',
    code: 'internal',
  }
}
