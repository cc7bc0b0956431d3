/**
 * The lean peer's `POST /v1/responses` (streamed): the practical limit of a Responses relay on Hono.
 * An OpenAI model's body goes upstream as it came and the upstream body comes back untouched; a
 * Gemini model (`gemini-…`) gets a minimal translation: `instructions` and the input's text as the
 * Gemini request, and Gemini's SSE re-framed into Responses events in one TransformStream
 * (`response.created`, `response.in_progress`, one message item with an `output_text.delta` per text
 * piece, its done events, then one terminal `response.completed` or `response.incomplete`). No
 * validation beyond what routing needs, no tools, no reasoning, no stored conversations.
 *
 * @example
 * app.post('/v1/responses', (c) => responses(c.req.raw, c.env))
 */
const encoder = new TextEncoder()
const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }

/** The upstream (the emulator) and its key, as the lean app's bindings give them. */
interface Upstream {
  UPSTREAM?: string
  API_KEY?: string
}
interface InputItem {
  role?: string
  content?: string | { text?: string }[]
}
interface ResponsesBody {
  model?: unknown
  stream?: unknown
  instructions?: unknown
  input?: string | InputItem[]
}
interface GeminiUsage {
  promptTokenCount?: number
  candidatesTokenCount?: number
  totalTokenCount?: number
}

const textOf = (content: InputItem['content']): string =>
  typeof content === 'string' ? content : (content ?? []).map((part) => part.text ?? '').join('')

/** The Gemini request for a Responses body: instructions and system turns as the instruction, the rest as contents. */
function geminiBody(body: ResponsesBody): string {
  const items = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : (body.input ?? [])
  const system = items.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => textOf(m.content))
  if (typeof body.instructions === 'string') system.unshift(body.instructions)
  const contents = items
    .filter((m) => m.role === 'user' || m.role === 'assistant')
    .map((m) => ({ role: m.role === 'assistant' ? 'model' : 'user', parts: [{ text: textOf(m.content) }] }))
  return JSON.stringify({
    contents,
    ...(system.length ? { systemInstruction: { parts: [{ text: system.join('\n') }] } } : {}),
  })
}

/** One Gemini event's answer text (thoughts left out), finish reason and usage. */
function geminiEvent(data: string): { text: string; finish?: string; usage?: GeminiUsage } {
  const ev = JSON.parse(data) as {
    candidates?: { content?: { parts?: { text?: string; thought?: boolean }[] }; finishReason?: string }[]
    usageMetadata?: GeminiUsage
  }
  const candidate = ev.candidates?.[0]
  let text = ''
  for (const part of candidate?.content?.parts ?? []) if (part.text && !part.thought) text += part.text
  return { text, finish: candidate?.finishReason, usage: ev.usageMetadata }
}

/** Gemini SSE bytes → Responses events, line by line (LF or CRLF). */
export function geminiToResponses(model: string): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder()
  const hex = crypto.randomUUID().replaceAll('-', '')
  const id = `resp_${hex}`
  const itemId = `msg_${hex}`
  const createdAt = Math.floor(Date.now() / 1000)
  const deltaHead = `,"item_id":"${itemId}","output_index":0,"content_index":0,"delta":`
  let seq = 0
  let answer = ''
  let usage: GeminiUsage | undefined
  let ended = false
  let rest = ''
  const event = (out: TransformStreamDefaultController<Uint8Array>, type: string, fields: object) =>
    out.enqueue(
      encoder.encode(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...fields })}\n\n`),
    )
  const response = (status: string, output: object[], extra: object = {}) => ({
    id,
    object: 'response',
    created_at: createdAt,
    status,
    model,
    output,
    ...extra,
  })
  const part = () => ({ type: 'output_text', annotations: [], logprobs: [], text: answer })
  const finish = (out: TransformStreamDefaultController<Uint8Array>, reason: string) => {
    ended = true
    const complete = reason === 'STOP'
    const item = { id: itemId, type: 'message', status: complete ? 'completed' : 'incomplete', role: 'assistant' }
    const at = { item_id: itemId, output_index: 0, content_index: 0 }
    event(out, 'response.output_text.done', { ...at, text: answer, logprobs: [] })
    event(out, 'response.content_part.done', { ...at, part: part() })
    event(out, 'response.output_item.done', { output_index: 0, item: { ...item, content: [part()] } })
    const tokens = {
      input_tokens: usage?.promptTokenCount ?? 0,
      output_tokens: usage?.candidatesTokenCount ?? 0,
      total_tokens: usage?.totalTokenCount ?? 0,
    }
    const details = complete
      ? {}
      : { incomplete_details: { reason: reason === 'MAX_TOKENS' ? 'max_output_tokens' : 'content_filter' } }
    const status = complete ? 'completed' : 'incomplete'
    event(out, `response.${status}`, {
      response: response(status, [{ ...item, content: [part()] }], { ...details, usage: tokens }),
    })
  }
  return new TransformStream({
    start(out) {
      event(out, 'response.created', { response: response('in_progress', []) })
      event(out, 'response.in_progress', { response: response('in_progress', []) })
      const item = { id: itemId, type: 'message', status: 'in_progress', role: 'assistant', content: [] }
      event(out, 'response.output_item.added', { output_index: 0, item })
      event(out, 'response.content_part.added', {
        item_id: itemId,
        output_index: 0,
        content_index: 0,
        part: { type: 'output_text', annotations: [], logprobs: [], text: '' },
      })
    },
    transform(bytes, out) {
      const text = rest + decoder.decode(bytes, { stream: true })
      let start = 0
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl
        if (!ended && text.startsWith('data:', start)) {
          const ev = geminiEvent(text.slice(text.charCodeAt(start + 5) === 32 ? start + 6 : start + 5, end))
          if (ev.usage) usage = ev.usage
          if (ev.text !== '') {
            answer += ev.text
            out.enqueue(
              encoder.encode(
                `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":${seq++}${deltaHead}${JSON.stringify(ev.text)},"logprobs":[]}\n\n`,
              ),
            )
          }
          if (ev.finish) finish(out, ev.finish)
        }
        start = nl + 1
      }
      rest = text.slice(start)
    },
    flush(out) {
      if (ended) return
      const error = { code: 'server_error', message: 'the upstream stream ended without a finish reason' }
      event(out, 'response.failed', { response: response('failed', [], { error }) })
    },
  })
}

export async function responses(request: Request, env: Upstream): Promise<Response> {
  const raw = await request.text()
  let body: ResponsesBody
  try {
    body = JSON.parse(raw) as ResponsesBody
  } catch {
    return Response.json({ error: { message: 'the body is not JSON' } }, { status: 400 })
  }
  if (typeof body.model !== 'string') return Response.json({ error: { message: 'model is required' } }, { status: 400 })
  const base = (env.UPSTREAM ?? '').replace(/\/+$/, '')
  const key = env.API_KEY ?? 'emu-key'
  if (!body.model.startsWith('gemini-')) {
    const res = await fetch(`${base}/v1/responses`, {
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
  return new Response(res.body.pipeThrough(geminiToResponses(body.model)), { headers: SSE_HEADERS })
}
