/**
 * The AI SDK peer's `POST /v1/chat/completions` (streamed): the model name picks the provider
 * (`gemini-…` → `@ai-sdk/google`, else `@ai-sdk/openai`'s chat model), the messages' text goes to
 * `streamText`, and its `stream` of parts is re-framed into `chat.completion.chunk` frames: the first
 * with `role: "assistant"`, one per text delta, one with the finish reason, then `data: [DONE]`; an
 * error the SDK reports becomes an OpenAI error frame before `[DONE]`. No tools, no usage chunk.
 *
 * @example
 * app.post('/v1/chat/completions', (c) => chatCompletions(c.req.raw, (name) => modelNamed(c.env, name)))
 */
import { streamText, type FinishReason, type LanguageModel, type ModelMessage } from 'ai'

const encoder = new TextEncoder()
const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }
const FINISH: Partial<Record<FinishReason, string>> = {
  length: 'length',
  'content-filter': 'content_filter',
  'tool-calls': 'tool_calls',
}

interface Message {
  role?: string
  content?: string | { type?: string; text?: string }[]
}
const textOf = (content: Message['content']): string =>
  typeof content === 'string' ? content : (content ?? []).map((part) => part.text ?? '').join('')

/** The chat messages' text as the SDK's messages (system and developer as system). */
function modelMessages(messages: Message[]): ModelMessage[] {
  return messages.map((m): ModelMessage => {
    const content = textOf(m.content)
    if (m.role === 'assistant') return { role: 'assistant', content }
    if (m.role === 'system' || m.role === 'developer') return { role: 'system', content }
    return { role: 'user', content }
  })
}

export async function chatCompletions(
  request: Request,
  modelNamed: (name: string) => LanguageModel,
): Promise<Response> {
  const body = (await request.json().catch(() => null)) as {
    model?: unknown
    stream?: unknown
    messages?: Message[]
  } | null
  if (typeof body?.model !== 'string' || !Array.isArray(body.messages) || body.stream !== true) {
    return Response.json({ error: { message: 'model, messages and stream: true are required' } }, { status: 400 })
  }
  const model = body.model
  const result = streamText({
    model: modelNamed(model),
    messages: modelMessages(body.messages),
    maxRetries: 0,
    abortSignal: request.signal,
  })
  const head = `data: {"id":"chatcmpl-${crypto.randomUUID()}","object":"chat.completion.chunk","created":${Math.floor(Date.now() / 1000)},"model":${JSON.stringify(model)},"choices":[{"index":0,"delta":`
  let first = true
  const frames = result.stream.pipeThrough(
    new TransformStream<{ type: string; text?: string; finishReason?: FinishReason; error?: unknown }, Uint8Array>({
      transform(part, out) {
        if (part.type === 'text-delta' && part.text) {
          const role = first ? '"role":"assistant",' : ''
          first = false
          out.enqueue(
            encoder.encode(`${head}{${role}"content":${JSON.stringify(part.text)}},"finish_reason":null}]}\n\n`),
          )
        } else if (part.type === 'finish' && part.finishReason !== 'error') {
          const reason = FINISH[part.finishReason ?? 'stop'] ?? 'stop'
          out.enqueue(encoder.encode(`${head}{},"finish_reason":"${reason}"}]}\n\n`))
        } else if (part.type === 'error') {
          const message = part.error instanceof Error ? part.error.message : String(part.error)
          out.enqueue(encoder.encode(`data: ${JSON.stringify({ error: { message, type: 'server_error' } })}\n\n`))
        }
      },
      flush(out) {
        out.enqueue(encoder.encode('data: [DONE]\n\n'))
      },
    }),
  )
  return new Response(frames, { headers: SSE_HEADERS })
}
