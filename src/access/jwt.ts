import { verify } from 'hono/jwt'

/** Longest `sub` kept as the caller's identity (it goes into logs and rate-limit keys). */
const MAX_SUBJECT = 128

/**
 * Checks a short-lived signed token (HS256, signed with `TOKEN_SIGNING_SECRET` by the app's own
 * backend) and returns its `sub`, the caller's identity. The token must carry `exp` (hono/jwt
 * checks it, and `nbf`/`iat` when present) and a non-empty string `sub`; anything else is
 * `undefined`.
 *
 * @example
 * const token = await sign({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 3600 }, secret, 'HS256')
 * await verifySignedToken(token, secret) // 'alice'
 */
export async function verifySignedToken(token: string, secret: string): Promise<string | undefined> {
  if (token.split('.').length !== 3) return undefined
  try {
    const payload = await verify(token, secret, 'HS256')
    if (typeof payload.exp !== 'number') return undefined
    const sub = payload.sub
    if (typeof sub !== 'string' || sub.trim() === '') return undefined
    return sub.slice(0, MAX_SUBJECT)
  } catch {
    return undefined
  }
}
