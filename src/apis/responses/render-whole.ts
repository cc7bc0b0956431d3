import type { AnswerResult, ToolCallStart } from '../../canonical/parts'
import type { Renderer } from '../../canonical/renderer'
import { failedResponse } from './failure'
import type { Json } from './json'
import { ResponseOutput } from './output'
import { resolveOptions, terminalOf, type ResponsesRenderOptions } from './render-options'
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
 * const renderer = createResponsesWholeRenderer({ ...parsed.options, model: 'gemini-2.5-flash' })
 * await generation.run()            // calls renderer.text(…), renderer.done(…)
 * return renderer.response()        // 200 {"id":"resp_…","object":"response","status":"completed",…}
 */

export interface ResponsesWholeRenderer extends Renderer {
  readonly id: string
  /** The Response object as it stands (output so far; final once ended). */
  snapshot(): Json
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

export function createResponsesWholeRenderer(options: ResponsesRenderOptions): ResponsesWholeRenderer {
  const { frame, summary, customTools, now } = resolveOptions(options)
  const output = new ResponseOutput(frame.id, () => {}, { summary, customTools })
  const relayed: Uint8Array[] = []
  let received = 0
  let state: ResponseState = { status: frame.echo.background ? 'queued' : 'in_progress', output: output.items }
  let reply: (() => Response) | undefined

  const json = (body: Json) => () =>
    new Response(JSON.stringify(body, null, 2), { status: 200, headers: { 'content-type': 'application/json' } })
  const part =
    <A extends unknown[]>(handle: (...args: A) => void) =>
    (...args: A) => {
      if (reply) return
      received++
      handle(...args)
    }
  const finish = (next: ResponseState) => {
    state = next
    reply = json(responseObject(frame, next))
  }

  return {
    id: frame.id,
    get written() {
      return received
    },
    snapshot: () => responseObject(frame, state),
    text: part((delta: string) => output.text(delta)),
    reasoning: part((delta: string) => output.reasoning(delta)),
    toolCallStart: part((call: ToolCallStart) => output.toolCallStart(call)),
    toolCallDelta: part((index: number, delta: string) => output.toolCallDelta(index, delta)),
    toolCallEnd: part((index: number) => output.toolCallEnd(index)),
    raw: part((frame: Uint8Array) => {
      relayed.push(frame)
    }),
    done(result: AnswerResult) {
      if (reply) return
      if (relayed.length > 0) {
        const body = concat(relayed)
        reply = () => new Response(body, { status: 200, headers: { 'content-type': 'application/json' } })
        return
      }
      const { status, reason } = terminalOf(result.finish)
      output.closeAll(status, true)
      finish({
        status,
        output: output.items,
        usage: usageObject(result.usage),
        incompleteDetails: reason ? { reason } : null,
        completedAt: status === 'completed' ? Math.floor(now() / 1000) : null,
        model: result.model || frame.model,
      })
    },
    fail(error: unknown) {
      if (reply) return
      output.closeAll('incomplete', true)
      state = { status: 'failed', output: output.items }
      reply = () => failedResponse(error)
    },
    cancelled() {
      if (reply) return
      output.closeAll('incomplete', true)
      finish({ status: 'cancelled', output: output.items })
    },
    failedResponse,
    response() {
      if (!reply) throw new Error('the answer has not ended: call response() after done, fail or cancelled')
      return reply()
    },
  }
}
