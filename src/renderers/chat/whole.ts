import type { AnswerResult, ToolCallStart } from '../../canonical/parts'
import type { RequestRecord } from '../../observability/request-record'
import type { WholeRenderer } from '../../canonical/renderer'
import { describeFailure, providerErrorResponse } from './errors'
import { wireToolCallId } from './tool-call-id'
import { chatFinish, chatUsage, completionId } from './usage'

interface Call {
  start: ToolCallStart
  args: string
}

/**
 * The whole `chat.completion` (`stream` not true): OpenAI's own body as it came, or a translated
 * answer's text and tool calls in one message, with the finish reason and the usage.
 *
 * @example
 * const renderer = createChatWholeRenderer(record)
 * await runToEnd(new Generation(plan, renderer), signal)
 * return renderer.response()
 */
export function createChatWholeRenderer(record: RequestRecord): WholeRenderer {
  let written = 0
  let text = ''
  const calls: Call[] = []
  let body: Uint8Array | undefined
  let model = ''
  let reply: Response | undefined
  const fail = (error: unknown): void => {
    const { message } = describeFailure(error)
    reply = providerErrorResponse(error, { message: record.fail(error, message) })
  }
  return {
    get written() {
      return written
    },
    begin(_provider, next) {
      model = next
    },
    text(delta) {
      written++
      text += delta
    },
    reasoning() {},
    toolCallStart(start) {
      written++
      calls[start.index] = { start, args: '' }
    },
    toolCallDelta(index, delta) {
      const call = calls[index]
      if (call) call.args += delta
    },
    toolCallEnd() {},
    raw(bytes) {
      written++
      body = bytes
    },
    done(result: AnswerResult) {
      const usage = chatUsage(result.usage)
      const safe = record.closing({ model: result.model, finish_reason: result.rawFinish, usage }) as { model: string }
      if (body) {
        record.answered(body.byteLength)
        reply = new Response(body as Uint8Array<ArrayBuffer>, {
          status: 200,
          headers: { 'content-type': 'application/json' },
        })
        return
      }
      const toolCalls = calls.filter(Boolean).map(({ start, args }) => ({
        id: wireToolCallId(start.id, start.signature),
        type: 'function' as const,
        function: { name: start.name, arguments: args || '{}' },
      }))
      const completion = {
        id: completionId(),
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: safe.model || model,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: text === '' && toolCalls.length > 0 ? null : text,
              refusal: null,
              ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
            },
            logprobs: null,
            finish_reason: chatFinish(result.finish),
          },
        ],
        usage,
      }
      const json = JSON.stringify(completion)
      record.answered(new TextEncoder().encode(json).byteLength)
      reply = new Response(json, { status: 200, headers: { 'content-type': 'application/json' } })
    },
    fail,
    cancelled() {
      fail(new DOMException('The answer was stopped', 'AbortError'))
    },
    failedResponse(error) {
      fail(error)
      return reply!
    },
    response() {
      return reply ?? providerErrorResponse(new DOMException('The answer was stopped', 'AbortError'))
    },
  }
}
