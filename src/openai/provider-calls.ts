import type { GenerateContentResponse } from '@google/genai'
import { idleTimeoutError, malformedError } from '../providers/errors'
import type { Attempt } from './attempts'
import type { CompletionContext } from './completion-context'
import type { AnswerSummary, FrameSource } from './frame-source'
import { type OpenedFrames, STREAM_HEADERS, firstFrames, frameStream } from './frame-stream'
import { createChunkTranslator } from './gemini-chunks'
import { toChatCompletion } from './gemini-completion'
import { createGeminiSource } from './gemini-sse'
import type { ModelRoute } from './models'
import { createRelaySource } from './openai-relay'
import { send, upstreamFailure } from './upstream'

/**
 * One attempt at a chat completion on one provider. OpenAI gets the body as it is (only `model`
 * rewritten) and its answer goes back as it is; Gemini gets the translated request and its answer
 * is translated back, streamed or whole. A failure before the first frame throws, for
 * {@link runAttempts} to retry, fall back or report.
 *
 * @example
 * const response = await callOpenAI(body, { provider: 'openai', model: 'gpt-4.1-mini' }, context, attempt)
 */

type Json = Record<string, unknown>

/** A 200 stream once the first frames are there; before that a failure throws (and is retried or reported). */
async function streamResponse(
  body: ReadableStream<Uint8Array>,
  source: FrameSource,
  route: ModelRoute,
  context: CompletionContext,
  attempt: Attempt,
) {
  const reader = body.getReader()
  let opened: OpenedFrames
  try {
    opened = await firstFrames(reader, source, attempt.abort, route.provider)
  } catch (error) {
    reader.cancel().catch(() => {})
    throw error
  }
  const idleMs = context.config.upstreamIdleTimeoutMs
  const stream = frameStream(reader, source, opened, {
    abort: attempt.abort,
    provider: route.provider,
    pingIntervalMs: context.config.pingIntervalMs,
    idleTimeoutMs: idleMs,
    idleError: () => idleTimeoutError(route.provider, idleMs),
    record: context.record,
    onEnd: attempt.onEnd,
  })
  return new Response(stream, { status: 200, headers: STREAM_HEADERS })
}

/** The log line's figures from a whole chat completion. */
function completionSummary(text: string): AnswerSummary {
  try {
    const completion = JSON.parse(text) as { model?: unknown; usage?: unknown; choices?: { finish_reason?: unknown }[] }
    const finish = completion.choices?.[0]?.finish_reason
    return {
      ...(typeof completion.model === 'string' ? { model: completion.model } : {}),
      ...(typeof finish === 'string' ? { finish_reason: finish } : {}),
      ...(completion.usage && typeof completion.usage === 'object' ? { usage: completion.usage } : {}),
    }
  } catch {
    return {}
  }
}

export async function callOpenAI(
  body: Json,
  route: ModelRoute,
  context: CompletionContext,
  attempt: Attempt,
): Promise<Response> {
  const { apiKey, baseURL } = context.config.openai
  const response = await send({
    provider: 'openai',
    url: `${baseURL}/chat/completions`,
    headers: { authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ ...body, model: route.model }),
    fetch: context.fetch,
    signal: attempt.abort.signal,
  })
  if (!response.ok || !response.body) throw await upstreamFailure('openai', response, attempt.abort.signal)
  if (body.stream === true)
    return streamResponse(
      response.body,
      createRelaySource(context.config.maxUpstreamEventBytes),
      route,
      context,
      attempt,
    )
  // Whole: the upstream's JSON as it is; its end is read for the log line's usage.
  const bytes = new Uint8Array(await response.arrayBuffer())
  context.record.answered(bytes.byteLength)
  context.record.closing(completionSummary(new TextDecoder().decode(bytes)))
  return new Response(bytes, {
    status: response.status,
    headers: { 'content-type': response.headers.get('content-type') ?? 'application/json' },
  })
}

/** `request` is the body already translated for Gemini (see `toGeminiRequest`). */
export async function callGemini(
  body: Json,
  request: string,
  route: ModelRoute,
  context: CompletionContext,
  attempt: Attempt,
): Promise<Response> {
  const { apiKey, baseURL, apiVersion } = context.config.gemini
  const stream = body.stream === true
  const method = stream ? 'streamGenerateContent?alt=sse' : 'generateContent'
  const response = await send({
    provider: 'gemini',
    url: `${baseURL}/${apiVersion}/models/${encodeURIComponent(route.model)}:${method}`,
    headers: { 'x-goog-api-key': apiKey ?? '' },
    body: request,
    fetch: context.fetch,
    signal: attempt.abort.signal,
  })
  if (!response.ok || !response.body) throw await upstreamFailure('gemini', response, attempt.abort.signal)
  const created = Math.floor(Date.now() / 1000)
  if (stream) {
    const includeUsage = (body.stream_options as Json | undefined)?.include_usage === true
    const translator = createChunkTranslator({ model: route.model, includeUsage, created })
    return streamResponse(
      response.body,
      createGeminiSource(translator, context.config.maxUpstreamEventBytes),
      route,
      context,
      attempt,
    )
  }
  let reply: GenerateContentResponse
  try {
    reply = (await response.json()) as GenerateContentResponse
  } catch (error) {
    if (attempt.abort.signal.aborted) throw error
    throw malformedError('gemini', error)
  }
  const completion = toChatCompletion(reply, route.model, created)
  const text = JSON.stringify(completion)
  context.record.answered(text.length)
  context.record.closing({
    model: completion.model,
    finish_reason: completion.choices[0]?.finish_reason,
    usage: completion.usage,
  })
  return new Response(text, { headers: { 'content-type': 'application/json' } })
}
