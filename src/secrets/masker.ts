/**
 * Masks configured secrets (API keys, the AI Gateway token, access tokens, the signing secret) by
 * VALUE: the whole value and any run of {@link PART_LENGTH} or more of its characters, wherever it
 * appears, so an upstream that echoes a key inside another word (`apikey_<key>`), truncated or
 * split still cannot publish it. Built once per configuration; used on error messages, closing events,
 * headers and every log field, never on the per-chunk path.
 *
 * @example
 * const mask = createMasker(['sk-live-abcdefghijklmnop'])
 * mask('bad key apikey_sk-live-abcdefghijklmnop!') // 'bad key apikey_[redacted]!'
 */

/** Any run of this many characters of a secret is masked (the whole secret when it is shorter). */
export const PART_LENGTH = 12
export const REDACTED = '[redacted]'

export type Masker = (text: string) => string

/** Leaves text untouched: no secret configured. */
export const noMask: Masker = (text) => text

export function createMasker(secrets: readonly (string | undefined)[]): Masker {
  // Values shorter than 4 characters would mask ordinary words; nobody should use them as secrets.
  const values = [
    ...new Set(secrets.filter((value): value is string => typeof value === 'string' && value.length >= 4)),
  ]
  if (values.length === 0) return noMask
  // Every window of a secret, by length: a text position is secret when the window starting there is one.
  const windows = new Map<number, Set<string>>()
  for (const value of values) {
    const size = Math.min(PART_LENGTH, value.length)
    let set = windows.get(size)
    if (!set) windows.set(size, (set = new Set()))
    for (let i = 0; i + size <= value.length; i++) set.add(value.slice(i, i + size))
  }
  const sizes = [...windows.entries()]
  const shortest = Math.min(...windows.keys())

  return (text) => {
    if (typeof text !== 'string' || text.length < shortest) return text
    let out = ''
    let copiedTo = 0
    let maskedTo = -1
    for (let i = 0; i + shortest <= text.length; i++) {
      for (const [size, set] of sizes) {
        if (i + size <= text.length && set.has(text.slice(i, i + size))) {
          if (maskedTo < 0 || i > maskedTo + 1) {
            // A new masked run starts here (an adjacent or overlapping window extends the current one).
            out += text.slice(copiedTo, i) + REDACTED
          }
          maskedTo = Math.max(maskedTo, i + size - 1)
          copiedTo = maskedTo + 1
        }
      }
    }
    return maskedTo < 0 ? text : out + text.slice(copiedTo)
  }
}

/** Masks every string inside a JSON-like value (objects, arrays), keys included. */
export function maskDeep<T>(value: T, mask: Masker): T {
  if (mask === noMask) return value
  if (typeof value === 'string') return mask(value) as T
  if (Array.isArray(value)) return value.map((item) => maskDeep(item, mask)) as T
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) out[mask(key)] = maskDeep(item, mask)
    return out as T
  }
  return value
}
