/**
 * Static access tokens (`ACCESS_TOKENS`, comma-separated so they can be rotated), compared in
 * constant time: both sides are hashed with SHA-256 and every configured token's digest is
 * compared byte by byte, whatever matched before, so neither the length nor the matching
 * prefix nor which token matched shows in the timing.
 *
 * @example
 * const tokens = createTokenMatcher(['t0ken-one', 't0ken-two'])
 * await tokens.match('t0ken-two') // 1 (its index: the caller's identity is `token:1`)
 * await tokens.match('nope')      // -1
 */

const encoder = new TextEncoder()

async function digest(value: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(value)))
}

export interface TokenMatcher {
  /** The index of the matching token, or -1. */
  match(presented: string): Promise<number>
}

export function parseTokens(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((token) => token.trim())
    .filter(Boolean)
}

export function createTokenMatcher(tokens: readonly string[]): TokenMatcher {
  let digests: Promise<Uint8Array[]> | undefined
  return {
    async match(presented) {
      digests ??= Promise.all(tokens.map(digest))
      const [expected, actual] = await Promise.all([digests, digest(presented)])
      let found = -1
      for (let index = 0; index < expected.length; index++) {
        const candidate = expected[index]!
        let difference = 0
        for (let i = 0; i < candidate.length; i++) difference |= candidate[i]! ^ actual[i]!
        // No early exit and no branch on the secret bytes beyond this select.
        found = difference === 0 && found === -1 ? index : found
      }
      return found
    },
  }
}
