/**
 * The one error type `streamChat()` throws (besides the AbortSignal's own reason when you
 * abort): what went wrong, in the gateway's words when it said something.
 *
 * @example
 * try {
 *   for await (const event of streamChat(input, { baseUrl })) render(event)
 * } catch (error) {
 *   if (error instanceof StreamChatError) show(error.message, error.requestId)
 * }
 */

/**
 * - `http`: the gateway refused the request (`status`, and `issues` naming the fields on a 400);
 * - `event`: the stream ended with an error event `{"error":"…","done":true}`;
 * - `connection`: the connection failed or dropped and could not be resumed;
 * - `protocol`: the answer was not the gateway's SSE (wrong content type, data that is not JSON).
 */
export type StreamChatErrorKind = 'http' | 'event' | 'connection' | 'protocol'

export interface StreamChatIssue {
  field: string
  message: string
}

export interface StreamChatErrorDetails {
  status?: number
  requestId?: string
  issues?: StreamChatIssue[]
  cause?: unknown
}

export class StreamChatError extends Error {
  override name = 'StreamChatError'
  readonly kind: StreamChatErrorKind
  /** The HTTP status of a refused request. */
  readonly status: number | undefined
  /** The gateway's request id (`request_id` in the error, or the `X-Request-Id` header), when it sent one. */
  readonly requestId: string | undefined
  /** Field-level problems of a 400. */
  readonly issues: StreamChatIssue[]

  constructor(kind: StreamChatErrorKind, message: string, details: StreamChatErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.kind = kind
    this.status = details.status
    this.requestId = details.requestId
    this.issues = details.issues ?? []
  }
}

/** Reads a refused request's body: the gateway answers `{"error":"…","issues":[…]}`. */
export async function httpError(response: Response): Promise<StreamChatError> {
  const text = await response.text().catch(() => '')
  let body: { error?: unknown; issues?: unknown; request_id?: unknown } | undefined
  try {
    body = JSON.parse(text) as typeof body
  } catch {
    body = undefined
  }
  const message = typeof body?.error === 'string' ? body.error : text.slice(0, 300) || response.statusText
  const issues = Array.isArray(body?.issues) ? (body.issues as StreamChatIssue[]) : undefined
  const requestId =
    typeof body?.request_id === 'string' ? body.request_id : (response.headers.get('x-request-id') ?? undefined)
  return new StreamChatError('http', `HTTP ${response.status}: ${message}`, {
    status: response.status,
    requestId,
    issues,
  })
}
