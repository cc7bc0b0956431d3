/**
 * The lean peer's `POST /v1/chat/completions` (streamed): the practical limit of an OpenAI-compatible
 * relay on Hono. An OpenAI model's body goes upstream as it came and the upstream body comes back
 * untouched; a Gemini model (`gemini-…`) gets a minimal translation: the messages' text as Gemini
 * contents, and Gemini's SSE re-framed into `chat.completion.chunk` frames (the first with
 * `role: "assistant"`, one per text piece, one with the finish reason, then `data: [DONE]`) in one
 * TransformStream. No validation beyond what routing needs, no tools, no usage chunk.
 *
 * @example
 * app.post('/v1/chat/completions', (c) => chatCompletions(c.req.raw, c.env))
 */
const encoder = new TextEncoder()
const DONE = encoder.encode('data: [DONE]\n\n')
const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }
const FINISH: Record<string, string> = { STOP: 'stop', MAX_TOKENS: 'length' }

/** The upstream (the emulator) and its key, as the lean app's bindings give them. */
interface Upstream {
  UPSTREAM?: string
  API_KEY?: string
}
interface Message {
  role?: string
  content?: string | { type?: string; text?: string }[]
}
interface ChatBody {
  model?: unknown
  stream?: unknown
  messages?: Message[]
}

const textOf = (content: Message['content']): string =>
  typeof content === 'string' ? content : (content ?? []).map((part) => part.text ?? '').join('')

/** One Gemini event's answer text (thoughts left out) and finish reason. */
function geminiEvent(data: string): { text: string; finish?: string } {
  const ev = JSON.parse(data) as {
    candidates?: { content?: { parts?: { text?: string; thought?: boolean }[] }; finishReason?: string }[]
  }
  const candidate = ev.candidates?.[0]
  let text = ''
  for (const part of candidate?.content?.parts ?? []) if (part.text && !part.thought) text += part.text
  return { text, finish: candidate?.finishReason }
}

/** The Gemini request for a chat body: system messages as the instruction, the rest as contents. */
function geminiBody(body: ChatBody): string {
  const messages = body.messages ?? []
  const system = messages.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => textOf(m.content))
  const contents = messages
    .filter((m) => m.role === 'user' || m.role === 'assistant')
    .map((m) => ({ role: m.role === 'assistant' ? 'model' : 'user', parts: [{ text: textOf(m.content) }] }))
  return JSON.stringify({
    contents,
    ...(system.length ? { systemInstruction: { parts: [{ text: system.join('\n') }] } } : {}),
  })
}

/** Gemini SSE bytes → `chat.completion.chunk` frames, line by line (LF or CRLF). */
export function geminiToChunks(model: string): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder()
  const head = `data: {"id":"chatcmpl-${crypto.randomUUID()}","object":"chat.completion.chunk","created":${Math.floor(Date.now() / 1000)},"model":${JSON.stringify(model)},"choices":[{"index":0,"delta":`
  let first = true
  let rest = ''
  return new TransformStream({
    transform(bytes, out) {
      const text = rest + decoder.decode(bytes, { stream: true })
      let start = 0
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl
        if (text.startsWith('data:', start)) {
          const data = text.slice(text.charCodeAt(start + 5) === 32 ? start + 6 : start + 5, end)
          const { text: piece, finish } = geminiEvent(data)
          if (piece !== '') {
            const role = first ? '"role":"assistant",' : ''
            first = false
            out.enqueue(
              encoder.encode(`${head}{${role}"content":${JSON.stringify(piece)}},"finish_reason":null}]}\n\n`),
            )
          }
          if (finish)
            out.enqueue(encoder.encode(`${head}{},"finish_reason":"${FINISH[finish] ?? 'content_filter'}"}]}\n\n`))
        }
        start = nl + 1
      }
      rest = text.slice(start)
    },
    flush(out) {
      out.enqueue(DONE)
    },
  })
}

export async function chatCompletions(request: Request, env: Upstream): Promise<Response> {
  const raw = await request.text()
  let body: ChatBody
  try {
    body = JSON.parse(raw) as ChatBody
  } catch {
    return Response.json({ error: { message: 'the body is not JSON' } }, { status: 400 })
  }
  if (typeof body.model !== 'string') return Response.json({ error: { message: 'model is required' } }, { status: 400 })
  const base = (env.UPSTREAM ?? '').replace(/\/+$/, '')
  const key = env.API_KEY ?? 'emu-key'
  if (!body.model.startsWith('gemini-')) {
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: raw,
      signal: request.signal,
    })
    const type = res.headers.get('content-type') ?? 'application/json'
    return new Response(res.body, {
      status: res.status,
      headers: { 'content-type': type, 'cache-control': 'no-cache' },
    })
  }
  if (body.stream !== true) return Response.json({ error: { message: 'only stream: true' } }, { status: 400 })
  const res = await fetch(`${base}/v1beta/models/${body.model}:streamGenerateContent?alt=sse`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': key },
    body: geminiBody(body),
    signal: request.signal,
  })
  if (!res.ok || !res.body) {
    await res.body?.cancel()
    return Response.json({ error: { message: `gemini answered ${res.status}` } }, { status: 502 })
  }
  return new Response(res.body.pipeThrough(geminiToChunks(body.model)), { headers: SSE_HEADERS })
}
