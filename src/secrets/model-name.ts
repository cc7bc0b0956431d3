import type { Masker } from './masker'

/** What a model name looks like: letters, digits and `. _ - : @ /`, at most 200 characters. */
const MODEL_NAME = /^(?!.*\.\.)[A-Za-z0-9][\w.:@/-]{0,199}$/

/**
 * A model name that came back from the upstream, safe to echo: kept when it looks like a model
 * name and holds no configured secret, otherwise the model the gateway asked for.
 *
 * @example
 * safeModelName('gpt-4.1-mini-2025-04-14', 'gpt-4.1-mini', mask) // 'gpt-4.1-mini-2025-04-14'
 * safeModelName('<script>', 'gpt-4.1-mini', mask)                // 'gpt-4.1-mini'
 */
export function safeModelName(value: unknown, requested: string, mask: Masker): string {
  if (typeof value !== 'string' || !MODEL_NAME.test(value) || mask(value) !== value) return requested
  return value
}
