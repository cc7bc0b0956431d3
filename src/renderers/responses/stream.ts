import type { AnswerResult, ToolCallStart } from '../../canonical/parts'
import type { EventWriter, Renderer } from '../../canonical/renderer'
import type { RequestRecord } from '../../observability/request-record'
import { errorEventData, failedResponse, failureOf, type Failure } from './failure'
import type { Json } from './json'
import { ResponseOutput } from './output'
import { RelayedStream } from './passthrough'
import { resolveOptions, terminalOf, type ResponsesRenderOptions, type ResponsesState } from './options'
import { responseObject, usageObject, type ResponseState } from './response-object'

/**
 * The Responses API stream (`POST /v1/responses` with `stream: true`) from canonical parts:
 * `event: <type>` equal to `data.type`, `sequence_number` from 0 without gaps, `response.created`
 * (after `response.queued` in background mode) and `response.in_progress` at the first event, the
 * item events, then exactly one terminal event: `response.completed` (whole `output`, usage),
 * `response.incomplete` (`max_output_tokens`, `content_filter`), or `error` + `response.failed`.
 *
 * OpenAI has no stream event for a cancelled response (only a `response.cancelled` webhook) and
 * the SDKs throw on unknown event types, so a cancelled stream ends with `response.incomplete`
 * whose response has `status: "cancelled"`, the object `POST /v1/responses/{id}/cancel` returns.
 * Open items are left without their done events when a stream fails or is cancelled: clients run
 * a tool call once its `output_item.done` arrives.
 *
 * In background mode a failure before the first event is a `response.failed` like any other (the
 * client already has the queued response), never an HTTP error.
 *
 * Raw frames (an OpenAI stream relayed as it is) are written unchanged and count as written; if
 * the relay breaks off, the error and `response.failed` continue its numbering and response id.
 * The record counts item events as pieces, gets the closing fields and keeps failures.
 *
 * @example
 * const renderer = createResponsesStreamRenderer(writer, record, { ...parsed.options, model: 'gemini-2.5-flash' })
 * renderer.text('Hello')   // response.created, response.in_progress, output_item.added, content_part.added, output_text.delta
 * renderer.done(result, 1) // output_text.done, content_part.done, output_item.done, response.completed
 */

export interface ResponsesStreamRenderer extends Renderer {
  /** The response id (`resp_…`). */
  readonly id: string
  /**
   * The Response object as it stands (output so far; final once ended), for `GET /v1/responses/{id}`.
   * Of a relayed OpenAI stream, the latest Response object it carried (output only once it ended).
   */
  snapshot(): Json
  /** The snapshot and, once ended and when asked for (`conversation`), the conversation to continue. */
  state(): ResponsesState
}

const seconds = (ms: number) => Math.floor(ms / 1000)

export function createResponsesStreamRenderer(
  writer: EventWriter,
  record: RequestRecord,
  options: ResponsesRenderOptions,
): ResponsesStreamRenderer {
  const { frame, summary, customTools, now } = resolveOptions(options)
  const background = frame.echo.background
  const relayed = new RelayedStream()
  let written = 0
  let sequence = 0
  let started = false
  let ended = false
  let state: ResponseState = { status: background ? 'queued' : 'in_progress', output: [] }
  /** The response a relayed stream ended with when the gateway ended it. */
  let relayedEnd: Json | undefined

  const write = (type: string, data: Json): number => {
    const fields = JSON.stringify(data)
    written++
    return writer.event(
      `event: ${type}\ndata: {"type":"${type}","sequence_number":${sequence++},${fields.slice(1)}\n\n`,
    )
  }
  const lifecycle = (type: string, response: Json) => write(type, { response })
  const start = () => {
    if (started) return
    started = true
    const empty: ResponseState = { status: background ? 'queued' : 'in_progress', output: [] }
    lifecycle('response.created', responseObject(frame, empty))
    if (background) lifecycle('response.queued', responseObject(frame, empty))
    state = { status: 'in_progress', output: [] }
    lifecycle('response.in_progress', responseObject(frame, state))
  }
  const output = new ResponseOutput(
    frame.id,
    (type, data) => {
      start()
      record.piece(write(type, data))
    },
    { summary, customTools },
  )
  /** Writes the terminal event of the translated stream. */
  const end = (type: string, next: ResponseState) => {
    ended = true
    state = next
    lifecycle(type, responseObject(frame, next))
  }
  const open = () => !ended && !relayed.active

  /** Closes a relayed stream that broke off or was cancelled; nothing if it had ended already. */
  const endRelayed = (status: 'failed' | 'cancelled', failure?: Failure) => {
    ended = true
    const ending = relayed.ending()
    if (!ending) return
    sequence = ending.nextSequence
    const response = ending.response ?? responseObject(frame, { status: 'in_progress', output: [] })
    if (failure) {
      write('error', errorEventData(failure))
      const error = { code: failure.code, message: failure.message }
      relayedEnd = { ...response, status, error, usage: null }
      lifecycle('response.failed', relayedEnd)
    } else {
      relayedEnd = { ...response, status, usage: null }
      lifecycle('response.incomplete', relayedEnd)
    }
  }
  const snapshot = (): Json =>
    relayed.active
      ? (relayedEnd ?? relayed.response() ?? responseObject(frame, state))
      : responseObject(frame, { ...state, output: output.current() })
  const failed = (error: unknown) => failedResponse(error, record)

  return {
    id: frame.id,
    get written() {
      return written
    },
    snapshot,
    state() {
      const kept = options.conversation && ended && !relayed.active
      return { response: snapshot(), ...(kept ? { conversation: [...options.conversation!, ...output.items] } : {}) }
    },
    text(delta: string) {
      if (open()) output.text(delta)
    },
    reasoning(delta: string) {
      if (open()) output.reasoning(delta)
    },
    toolCallStart(call: ToolCallStart) {
      if (open()) output.toolCallStart(call)
    },
    toolCallDelta(index: number, delta: string) {
      if (open()) output.toolCallDelta(index, delta)
    },
    toolCallEnd(index: number) {
      if (open()) output.toolCallEnd(index)
    },
    begin(_provider: string, model: string) {
      if (!started) frame.model = model
    },
    modelName(name: string) {
      if (!started) frame.model = name
    },
    raw(bytes: Uint8Array) {
      if (ended) return
      relayed.track(bytes)
      written++
      record.piece(bytes.byteLength)
      writer.events(bytes)
    },
    done(result: AnswerResult) {
      const usage = usageObject(result.usage)
      const safe = record.closing({ model: result.model, finish_reason: result.rawFinish, usage }) as { model: string }
      if (relayed.active) ended = true
      if (ended) return
      const { status, reason } = terminalOf(result.finish)
      start()
      output.closeAll(status)
      end(status === 'completed' ? 'response.completed' : 'response.incomplete', {
        status,
        output: output.items,
        usage,
        incompleteDetails: reason ? { reason } : null,
        completedAt: status === 'completed' ? seconds(now()) : null,
        model: safe.model || frame.model,
      })
    },
    fail(error: unknown) {
      if (ended) return
      const failure = failureOf(error, record)
      if (relayed.active) return endRelayed('failed', failure)
      start()
      output.closeAll('incomplete', true)
      write('error', errorEventData(failure))
      end('response.failed', {
        status: 'failed',
        output: output.items,
        error: { code: failure.code, message: failure.message },
      })
    },
    cancelled() {
      if (ended) return
      if (relayed.active) return endRelayed('cancelled')
      start()
      output.closeAll('incomplete', true)
      end('response.incomplete', { status: 'cancelled', output: output.items })
    },
    // In background mode the client has its answer (the queued response) before the first event.
    ...(background ? {} : { failedResponse: failed }),
  }
}
