/**
 * Serialisation helpers: Google's single-line JSON style, ids, token estimates, body reading.
 */
import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

/**
 * Google's streaming JSON layout: a space after `:` and none after `,`
 * (`{"candidates": [{"content": {"parts": [{"text": "The"}],"role": "model"}}]}`), raw UTF-8.
 */
export function googleJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) return `[${value.map(googleJson).join(',')}]`
  const entries = Object.entries(value).filter(([, v]) => v !== undefined)
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${googleJson(v)}`).join(',')}}`
}

/** Google's pretty layout for errors and unary replies: 2-space indent, trailing newline. */
export function googlePretty(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

export function randomId(length: number, alphabet = ALPHABET): string {
  const bytes = randomBytes(length)
  let out = ''
  for (const b of bytes) out += alphabet[b % alphabet.length]
  return out
}

/** A rough token count (4 characters a token), never 0. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(Array.from(text).length / 4))
}

export function readBody(req: IncomingMessage, limit = 10 * 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    let size = 0
    req.on('data', (b: Buffer) => {
      size += b.length
      if (size > limit) {
        reject(new Error('request body too large'))
        req.destroy()
        return
      }
      parts.push(b)
    })
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')))
    req.on('error', reject)
  })
}

/** `JSON.parse` that answers `undefined` instead of throwing. */
export function tryJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false }
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** OpenAI's name for a JSON type in "expected X, but got Y" messages. */
export function jsonTypeName(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'string') return 'a string'
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal'
  if (typeof value === 'boolean') return 'a boolean'
  return typeof value
}

/** Deterministic pseudo-random padding like OpenAI's `obfuscation` field. */
export function obfuscation(seed: number): string {
  let x = (seed * 2654435761) >>> 0
  const len = x % 16
  let out = ''
  for (let i = 0; i < len; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out += ALPHABET[x % ALPHABET.length]
  }
  return out
}
