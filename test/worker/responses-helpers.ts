/**
 * Reading `/v1/responses` answers in the worker tests: the resume framing of a resumable Responses
 * stream checked and taken out (`retry: 1000` first, then `id: <X-Stream-Id>:<n>` on every event,
 * n = sequence_number + 1), the rest read strictly by readResponsesStream (test/support).
 */
import { expect } from 'vitest'
import { readResponsesStream, type ResponsesEvent } from '../support/responses-sse'
import { gateway } from './helpers'

/**
 * The body without its resume framing. `first` is the log position of the first event (1 from the
 * start; N + 2 after `starting_after=N`); every id must follow on.
 */
export function unframe(wire: string, streamId: string, first = 1): string {
  if (!wire.startsWith('retry: 1000\n\n'))
    throw new Error(`a resumable stream must open with "retry: 1000": ${JSON.stringify(wire.slice(0, 80))}`)
  let n = first - 1
  return wire
    .slice('retry: 1000\n\n'.length)
    .replace(/(^|\n\n)id: ([^\n]*)\n(?=event: )/g, (_match, before: string, id: string) => {
      n++
      if (id !== `${streamId}:${n}`)
        throw new Error(`event ${n} has id ${JSON.stringify(id)}, expected ${streamId}:${n}`)
      return before
    })
}

/**
 * The events of a stream that starts after `from - 1` (a replay from `starting_after`): each block
 * `event: <type>\ndata: <json>` with `type` equal and `sequence_number` from `from`, one after the other.
 */
export function readTail(raw: string, from: number): ResponsesEvent[] {
  if (raw === '') return []
  expect(raw.endsWith('\n\n')).toBe(true)
  return raw
    .slice(0, -2)
    .split('\n\n')
    .map((block, index) => {
      const match = /^event: ([^\n]+)\ndata: ([^\n]+)$/.exec(block)
      expect(match, block.slice(0, 200)).not.toBeNull()
      const data = JSON.parse(match![2]!) as ResponsesEvent
      expect(data.type).toBe(match![1])
      expect(data.sequence_number).toBe(from + index)
      return data
    })
}

/** Reads a resumable Responses stream: its strict events, the unframed bytes and the stream id. */
export async function readEvents(response: Response, options: { from?: number } = {}) {
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
  const streamId = response.headers.get('x-stream-id')
  expect(streamId).toMatch(/^[A-Za-z0-9_-]{24}$/)
  const wire = await response.text()
  const raw = unframe(wire, streamId!, (options.from ?? 0) + 1)
  const events = options.from ? readTail(raw, options.from) : readResponsesStream(raw)
  return { raw, wire, events, streamId: streamId!, types: events.map((event) => event.type) }
}

/** POSTs a Responses body to the worker. */
export function postResponses(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return gateway('/v1/responses', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
}

/** The text of the output_text deltas. */
export const deltaText = (events: ResponsesEvent[]) =>
  events
    .filter((event) => event.type === 'response.output_text.delta')
    .map((event) => event.delta)
    .join('')

/** The Response object of the terminal event. */
export const terminal = (events: ResponsesEvent[]) => events.at(-1)!.response as Record<string, unknown>

/** The event types of a text answer of `deltas` pieces, from response.created to response.completed. */
export function textAnswerTypes(deltas: number, background = false): string[] {
  return [
    'response.created',
    ...(background ? ['response.queued'] : []),
    'response.in_progress',
    'response.output_item.added',
    'response.content_part.added',
    ...Array.from({ length: deltas }, () => 'response.output_text.delta'),
    'response.output_text.done',
    'response.content_part.done',
    'response.output_item.done',
    'response.completed',
  ]
}
