import type { AnswerResult, ToolCallStart } from '../../canonical/parts'
import type { WholeRenderer } from '../../canonical/renderer'
import type { RequestRecord } from '../../observability/request-record'
import { failedResponse } from './failure'
import type { Json } from './json'
import { ResponseOutput } from './output'
import { resolveOptions, terminalOf, type ResponsesRenderOptions, type ResponsesState } from './options'
import { responseObject, usageObject, type ResponseState } from './response-object'

/**
 * The non-streamed Responses answer (`stream` false): the same parts as the stream, gathered into
 * one Response object (`object: "response"`, `status` `completed` or `incomplete`, `output` items
 * from which the SDKs compute `output_text`, usage), sent by {@link ResponsesWholeRenderer.response}
 * as a 200 JSON body. A failure is the OpenAI JSON error with the provider's status; an OpenAI body
 * relayed as raw frames is sent as it came.
 *
 * `written` counts the parts received: the engine must not retry once some arrived, or they would
 * be gathered twice.
 *
 * @example
 * const renderer = createResponsesWholeRenderer(record, { ...parsed.options, model: 'gemini-2.5-flash' })
 * await generation.run()            // calls renderer.text(…), renderer.done(…)
 * return renderer.response()        // 200 {"id":"resp_…","object":"response","status":"completed",…}
 */

export interface ResponsesWholeRenderer extends WholeRenderer {
  readonly id: string
  /** The Response object as it stands (output so far; final once ended). */
  snapshot(): Json
  /**
   * The snapshot and, once the answer ended well or was cancelled and when asked for
   * (`conversation`), the conversation to continue. Nothing is kept of a relayed OpenAI body.
   */
  state(): ResponsesState
  /** The reply once the answer ended (done, fail or cancelled); throws before. */
  response(): Response
}

function concat(chunks: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(chunks.reduce((size, chunk) => size + chunk.length, 0))
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

export function createResponsesWholeRenderer(
  record: RequestRecord,
  options: ResponsesRenderOptions,
): ResponsesWholeRenderer {
  const { frame, summary, customTools, now } = resolveOptions(options)
  const output = new ResponseOutput(frame.id, () => {}, { summary, customTools })
  const relayed: Uint8Array[] = []
  let received = 0
  let state: ResponseState = { status: frame.echo.background ? 'queued' : 'in_progress', output: output.items }
  let reply: (() => Response) | undefined

  /** The 200 JSON reply of `body`, counted once for the log line. */
  const json = (body: Uint8Array<ArrayBuffer>) => {
    record.answered(body.byteLength)
    return () => new Response(body, { status: 200, headers: { 'content-type': 'application/json' } })
  }
  const part =
    <A extends unknown[]>(handle: (...args: A) => void) =>
    (...args: A) => {
      if (reply) return
      received++
      handle(...args)
    }
  const finish = (next: ResponseState) => {
    state = next
    reply = json(
      new TextEncoder().encode(JSON.stringify(responseObject(frame, next), null, 2)) as Uint8Array<ArrayBuffer>,
    )
  }

  return {
    id: frame.id,
    get written() {
      return received
    },
    snapshot: () => responseObject(frame, state),
    state() {
      const response = responseObject(frame, state)
      const ended = reply !== undefined && state.status !== 'failed' && relayed.length === 0
      return options.conversation && ended
        ? { response, conversation: [...options.conversation, ...output.items] }
        : { response }
    },
    text: part((delta: string) => output.text(delta)),
    reasoning: part((delta: string) => output.reasoning(delta)),
    toolCallStart: part((call: ToolCallStart) => output.toolCallStart(call)),
    toolCallDelta: part((index: number, delta: string) => output.toolCallDelta(index, delta)),
    toolCallEnd: part((index: number) => output.toolCallEnd(index)),
    raw: part((bytes: Uint8Array) => {
      relayed.push(bytes)
    }),
    begin(_provider: string, model: string) {
      if (received === 0) frame.model = model
    },
    modelName(name: string) {
      if (received === 0) frame.model = name
    },
    done(result: AnswerResult) {
      if (reply) return
      const usage = usageObject(result.usage)
      const safe = record.closing({ model: result.model, finish_reason: result.rawFinish, usage }) as { model: string }
      if (relayed.length > 0) {
        reply = json(concat(relayed))
        return
      }
      const { status, reason } = terminalOf(result.finish)
      output.closeAll(status, true)
      finish({
        status,
        output: output.items,
        usage,
        incompleteDetails: reason ? { reason } : null,
        completedAt: status === 'completed' ? Math.floor(now() / 1000) : null,
        model: safe.model || frame.model,
      })
    },
    fail(error: unknown) {
      if (reply) return
      output.closeAll('incomplete', true)
      state = { status: 'failed', output: output.items }
      const failed = failedResponse(error, record)
      reply = () => failed
    },
    cancelled() {
      if (reply) return
      output.closeAll('incomplete', true)
      finish({ status: 'cancelled', output: output.items })
    },
    failedResponse: (error: unknown) => failedResponse(error, record),
    response() {
      if (!reply) throw new Error('the answer has not ended: call response() after done, fail or cancelled')
      return reply()
    },
  }
}
