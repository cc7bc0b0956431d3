import { expect } from 'vitest'

/**
 * The `timing` a seed stream's last event carries once the upstream answered, for tests that compare
 * every other byte exactly: {@link withoutTiming} checks and takes it out, {@link ANSWERED_TIMING}
 * matches it in parsed events.
 *
 * @example
 * const { raw, timing } = withoutTiming(withoutRequestId(wire, requestId))
 * expect(timing).toEqual(ANSWERED_TIMING)
 */

/** A timing figure: whole milliseconds, never negative; its value varies from run to run. */
const MS = expect.toSatisfy(
  (value: unknown) => Number.isInteger(value) && (value as number) >= 0,
  'whole, non-negative milliseconds',
)

/** The `timing` of an event sent after the upstream answered: the log line's `gw_ms` and `upstream_ms`. */
export const ANSWERED_TIMING = { gw_ms: MS, upstream_ms: MS }

export interface AnswerTiming {
  gw_ms: number
  upstream_ms: number
}

/**
 * A seed stream's last event carries `"timing":{"gw_ms":<n>,"upstream_ms":<n>}` once the upstream
 * answered; without its request id (`withoutRequestId` in helpers.ts) that field ends the event. A good
 * answer's closing event (a `finish_reason` other than `cancelled`) must have it; a cancelled one or
 * an error event may. This checks its exact form (whole, non-negative milliseconds) and returns the
 * bytes without it, so the rest of the event is still compared byte for byte, and the figures.
 */
export function withoutTiming(raw: string): { raw: string; timing?: AnswerTiming } {
  const tail = /,"timing":\{"gw_ms":(\d+),"upstream_ms":(\d+)\}\}\n\n$/.exec(raw)
  if (tail)
    return { raw: `${raw.slice(0, tail.index)}}\n\n`, timing: { gw_ms: Number(tail[1]), upstream_ms: Number(tail[2]) } }
  const last = raw.slice(raw.lastIndexOf('data: '))
  if (last.includes('"timing":')) throw new Error(`the last event's timing is malformed or not last: ${last}`)
  if (last.startsWith('data: {"chunk":"","done":true,') && /"finish_reason":"(?!cancelled")/.test(last))
    throw new Error(`the closing event of an answer has no timing: ${last}`)
  return { raw }
}
