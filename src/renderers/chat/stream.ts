import type { AnswerResult, ToolCallStart } from '../../canonical/parts'
import type { EventWriter, Renderer } from '../../canonical/renderer'
import type { RequestRecord } from '../../observability/request-record'
import { describeFailure, errorFrameText, providerErrorResponse } from './errors'
import { wireToolCallId } from './tool-call-id'
import { chatFinish, chatUsage, completionId } from './usage'

export interface ChatStreamOptions {
  /** `stream_options.include_usage`: a usage chunk with empty `choices` before `[DONE]`. */
  includeUsage: boolean
}

/**
 * `chat.completion.chunk` frames. OpenAI's own frames (the pass-through) go out as they came; a
 * translated answer's parts become frames: the first carries `role: "assistant"`, text goes to
 * `delta.content`, a tool call to `delta.tool_calls` (its first frame with id, name and the first
 * arguments), then a frame with the finish reason, a usage frame when asked, and `[DONE]`.
 * Reasoning is never content. The fixed head of every frame is built once per model.
 *
 * @example
 * const renderer = createChatStreamRenderer(writer, record, { includeUsage: true })
 * renderer.text('Hi') // 'data: {"id":"chatcmpl-…","object":"chat.completion.chunk",…,"delta":{"role":"assistant","content":"Hi"},…}\n\n'
 */
export function createChatStreamRenderer(
  writer: EventWriter,
  record: RequestRecord,
  options: ChatStreamOptions,
): Renderer {
  const id = completionId()
  const created = Math.floor(Date.now() / 1000)
  let model = ''
  let envelope = ''
  let head = ''
  let written = 0
  let started = false
  let pending: ToolCallStart | undefined
  /** The answer is OpenAI's own frames: its finish, usage and `[DONE]` came with them. */
  let relayed = false

  const frame = (delta: object, finish: string | null = null): void => {
    written++
    if (head === '') {
      envelope = `{"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)}`
      head = `data: ${envelope},"choices":[{"index":0,"delta":`
    }
    const first = started ? delta : { role: 'assistant', content: null, ...delta }
    started = true
    const end = finish === null ? 'null' : `"${finish}"`
    record.piece(writer.event(`${head}${JSON.stringify(first)},"finish_reason":${end}}]}\n\n`))
  }
  const closeWith = (error: string): void => {
    written++
    writer.event(error)
    writer.event('data: [DONE]\n\n')
  }
  const callFrame = (call: ToolCallStart, args: string): void => {
    pending = undefined
    frame({
      tool_calls: [
        {
          index: call.index,
          id: wireToolCallId(call.id, call.signature),
          type: 'function',
          function: { name: call.name, arguments: args },
        },
      ],
    })
  }

  return {
    get written() {
      return written
    },
    begin(_provider, next) {
      if (next !== model) {
        model = next
        head = ''
      }
    },
    modelName(name) {
      if (!started && name !== model) {
        model = name
        head = ''
      }
    },
    text(delta) {
      frame({ content: delta })
    },
    reasoning() {},
    toolCallStart(call) {
      pending = call
    },
    toolCallDelta(index, delta) {
      if (pending?.index === index) callFrame(pending, delta)
      else frame({ tool_calls: [{ index, function: { arguments: delta } }] })
    },
    toolCallEnd(index) {
      if (pending?.index === index) callFrame(pending, '')
    },
    raw(bytes) {
      relayed = true
      written++
      record.piece(bytes.byteLength)
      writer.events(bytes)
    },
    done(result: AnswerResult) {
      record.closing({ model: result.model, finish_reason: result.rawFinish, usage: chatUsage(result.usage) })
      if (relayed) return
      frame(started ? {} : { content: '' }, chatFinish(result.finish))
      if (options.includeUsage)
        writer.event(`data: ${envelope},"choices":[],"usage":${JSON.stringify(chatUsage(result.usage))}}\n\n`)
      writer.event('data: [DONE]\n\n')
    },
    fail(error) {
      const { message, code } = describeFailure(error)
      closeWith(errorFrameText(record.fail(error, message), code, record.requestId))
    },
    cancelled() {
      const message =
        'gateway: the stream was cancelled (DELETE /api/streams/{id}). Send the request again for a new answer.'
      closeWith(errorFrameText(message, 'cancelled', record.requestId))
    },
    failedResponse(error) {
      const { message } = describeFailure(error)
      return providerErrorResponse(error, { message: record.fail(error, message) })
    },
  }
}
