import type { EventWriter } from '../../src/canonical/renderer'
import { RequestRecord } from '../../src/observability/request-record'
import { createMasker } from '../../src/secrets/masker'

/**
 * What a renderer test needs: an {@link EventWriter} that keeps every event as text, in order, and a
 * request record whose log line can be read back.
 *
 * @example
 * const { writer, wire } = textWriter()
 * createSeedRenderer(writer, testRecord().record).text('Hi')
 * expect(wire()).toBe('data: {"chunk":"Hi","done":false}\n\n')
 */
export function textWriter(): { writer: EventWriter; writes: string[]; wire: () => string } {
  const writes: string[] = []
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })
  const writer: EventWriter = {
    event(text) {
      writes.push(text)
      return new TextEncoder().encode(text).byteLength
    },
    events(bytes) {
      writes.push(utf8.decode(bytes))
    },
  }
  return { writer, writes, wire: () => writes.join('') }
}

/** A secret the record masks wherever it shows up. */
export const TEST_SECRET = 'sk-test-secret-0123456789'

/**
 * A record for request `req-1`, asked for `model`, whose one log line {@link logLine} returns once
 * finished; `now`, its clock (the record starts at its first reading).
 */
export function testRecord(model = 'asked-model', now?: () => number) {
  const lines: string[] = []
  const record = new RequestRecord({
    requestId: 'req-1',
    method: 'POST',
    mask: createMasker([TEST_SECRET]),
    logPrompts: false,
    write: (line) => lines.push(line),
    ...(now ? { now } : {}),
  })
  record.set({ model })
  const logLine = (): Record<string, unknown> => {
    record.finish('done', 200)
    return JSON.parse(lines[0]!) as Record<string, unknown>
  }
  return { record, logLine }
}
