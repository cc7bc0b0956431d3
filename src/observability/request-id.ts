import type { Masker } from '../secrets/masker'

/** A request id a caller may choose: 1–128 letters, digits and `. _ - : @`. */
const SANE_ID = /^[\w.:@-]{1,128}$/

/**
 * The request's id: the caller's `X-Request-Id` when it is sane (and holds no configured
 * secret), else a new UUID. It goes back in the `X-Request-Id` header, in the closing and error
 * events (`request_id`), in 5xx bodies and on the log line.
 *
 * @example
 * requestIdFor('checkout-42', mask) // 'checkout-42'
 * requestIdFor('<script>', mask)    // '9b2f…' (a new UUID)
 */
export function requestIdFor(header: string | undefined, mask: Masker): string {
  if (header !== undefined && SANE_ID.test(header) && mask(header) === header) return header
  return crypto.randomUUID()
}
