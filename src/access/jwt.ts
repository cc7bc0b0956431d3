import { verify } from 'hono/jwt'

/** Longest `sub` kept as the caller's identity (it goes into logs and rate-limit keys). */
const MAX_SUBJECT = 128

/** What a valid signed token says: who the caller is and, optionally, its own token budget. */
export interface SignedCaller {
  sub: string
  /** Tokens per TOKEN_BUDGET window for this `sub`, instead of TOKEN_BUDGET's. */
  budget?: number
}

/**
 * Checks a short-lived signed token (HS256, signed with `TOKEN_SIGNING_SECRET` by the app's own
 * backend) and returns its `sub`, the caller's identity, and its `budget` claim when it has one.
 * The token must carry `exp` (hono/jwt checks it, and `nbf`/`iat` when present) and a non-empty
 * string `sub`; anything else is `undefined`. A correctly signed token whose `budget` is not a whole
 * number ≥ 0 is `{ error }`: refused, rather than served with another budget than its issuer meant.
 *
 * @example
 * const token = await sign({ sub: 'alice', budget: 20000, exp: Math.floor(Date.now() / 1000) + 3600 }, secret, 'HS256')
 * await verifySignedToken(token, secret) // { sub: 'alice', budget: 20000 }
 */
export async function verifySignedToken(
  token: string,
  secret: string,
): Promise<SignedCaller | { error: string } | undefined> {
  if (token.split('.').length !== 3) return undefined
  let payload: Awaited<ReturnType<typeof verify>>
  try {
    payload = await verify(token, secret, 'HS256')
  } catch {
    return undefined
  }
  if (typeof payload.exp !== 'number') return undefined
  const sub = payload.sub
  if (typeof sub !== 'string' || sub.trim() === '') return undefined
  const budget = payload.budget
  if (budget === undefined) return { sub: sub.slice(0, MAX_SUBJECT) }
  if (typeof budget !== 'number' || !Number.isSafeInteger(budget) || budget < 0) {
    return { error: 'the signed token\'s "budget" claim must be a whole number of tokens (0 or more)' }
  }
  return { sub: sub.slice(0, MAX_SUBJECT), budget }
}
