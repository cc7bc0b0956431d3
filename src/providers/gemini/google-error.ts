/** A Google API error, as `{"error": {"code", "message", "status"}}`. */
export interface GoogleError {
  code: number | undefined
  message: string
  status: string | undefined
}

function fromObject(value: unknown): GoogleError | undefined {
  if (typeof value !== 'object' || value === null || !('error' in value)) return undefined
  const error = (value as { error: unknown }).error
  if (typeof error !== 'object' || error === null) return undefined
  const { code, message, status } = error as { code?: unknown; message?: unknown; status?: unknown }
  if (typeof message === 'string') {
    // With `?alt=sse` Google sends error bodies as text/event-stream, so the SDK wraps the raw
    // JSON text as the message of its own envelope: unwrap it.
    const inner = parseGoogleError(message)
    if (inner) return inner
  }
  return {
    code: typeof code === 'number' ? code : undefined,
    message: typeof message === 'string' ? message : '',
    status: typeof status === 'string' ? status : undefined,
  }
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * Finds a Google error object in a text: a whole JSON body, an SDK error message
 * (`got status: UNAVAILABLE. {…}`) or the tail of a stream that ends with a bare error object.
 *
 * @example
 * parseGoogleError('data: {…}\r\n\r\n{\n  "error": {"code": 503, "message": "Overloaded", "status": "UNAVAILABLE"}\n}\n')
 * // { code: 503, message: 'Overloaded', status: 'UNAVAILABLE' }
 */
export function parseGoogleError(text: string): GoogleError | undefined {
  const whole = fromObject(tryParse(text))
  if (whole) return whole
  const starts = text.matchAll(/\{\s*"error"\s*:/g)
  for (const match of starts) {
    const candidate = text.slice(match.index).trim()
    const found = fromObject(tryParse(candidate))
    if (found) return found
  }
  return undefined
}
