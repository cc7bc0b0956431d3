import type { ParamIssue } from '../renderers/chat/errors'

/**
 * A numeric request parameter in a range (an integer when asked), or the issue naming it; absent
 * (undefined or null) is fine.
 *
 * @example
 * numberParam({ temperature: 3 }, 'temperature', issues, 0, 2) // undefined, issue "must be a number from 0 to 2"
 */
export function numberParam(
  body: Record<string, unknown>,
  key: string,
  issues: ParamIssue[],
  min: number,
  max: number,
  integer = false,
): number | undefined {
  const value = body[key]
  if (value === undefined || value === null) return undefined
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    issues.push({ param: key, message: `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}` })
    return undefined
  }
  return value
}
