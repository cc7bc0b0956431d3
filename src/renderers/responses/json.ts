/**
 * Small checks on untrusted JSON, shared by the Responses parser.
 *
 * @example
 * isObject({ a: 1 }) // true
 * isObject([1])      // false
 */

export type Json = Record<string, unknown>

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `undefined` and `null` both mean "not given". */
export function given<T>(value: T | null | undefined): value is T {
  return value !== undefined && value !== null
}
