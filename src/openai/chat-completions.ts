import type { GenerateContentResponse } from '@google/genai'
import type { ModelPolicy } from '../access/model-policy'
import type { GatewayConfig } from '../env'
import type { RequestRecord } from '../observability/request-record'
import { idleTimeoutError, malformedError, missingKeyError } from '../providers/errors'
import type { FetchFunction } from '../providers/types'
import { runAttempts, type Attempt } from './attempts'
import { invalidParams, modelNotFound, type ParamIssue } from './errors'
import type { AnswerSummary, FrameSource } from './frame-source'
import { type OpenedFrames, STREAM_HEADERS, firstFrames, frameStream } from './frame-stream'
import { createChunkTranslator } from './gemini-chunks'
import { toChatCompletion } from './gemini-completion'
import { toGeminiRequest } from './gemini-request'
import { createGeminiSource } from './gemini-sse'
import { routeModel, type ModelRoute } from './models'
import { createRelaySource } from './openai-relay'
import { applyPolicy } from './policy'
import { failureResponse, send, upstreamFailure } from './upstream'

/**
 * `POST /v1/chat/completions`: the model picks the provider. OpenAI gets the request as it came
 * (only `model` rewritten, and the MAX_OUTPUT_TOKENS cap added when the caller set none) and its
 * answer goes back as it is; Gemini gets the request translated and its answer translated back,
 * streamed or whole. Retries and timeouts: {@link runAttempts}.
 *
 * @example
 * const response = await chatCompletions({ model: 'gemini-2.5-flash', messages, stream: true }, { config, policy, record, fetch, signal })
 */

export interface CompletionContext {
  config: GatewayConfig
  policy: ModelPolicy
  /** The request's record: provider, model, attempts, usage and the one log line. */
  record: RequestRecord
  fetch: FetchFunction
  /** Fires when the client leaves; the upstream request is aborted then. */
  signal?: AbortSignal
}

type Json = Record<string, unknown>

function checkStreaming(body: Json): ParamIssue[] {
  const issues: ParamIssue[] = []
  if (body.stream != null && typeof body.stream !== 'boolean')
    issues.push({ param: 'stream', message: 'must be a boolean' })
  const options = body.stream_options
  if (options != null) {
    if (body.stream !== true) issues.push({ param: 'stream_options', message: "is only allowed when 'stream' is true" })
    else if (typeof options !== 'object' || Array.isArray(options))
      issues.push({ param: 'stream_options', message: 'must be an object' })
    else {
      const usage = (options as Json).include_usage
      if (usage != null && typeof usage !== 'boolean')
        issues.push({ param: 'stream_options.include_usage', message: 'must be a boolean' })
    }
  }
  return issues
}

export async function chatCompletions(input: Json, context: CompletionContext): Promise<Response> {
  const { config, record } = context
  if (typeof input.model !== 'string' || input.model === '') {
    return invalidParams([
      { param: 'model', message: 'is required (a model name such as "gemini-2.5-flash" or "gpt-4.1-mini")' },
    ])
  }
  const route = routeModel(input.model)
  if (!route) return modelNotFound(input.model)
  record.set({ provider: route.provider, model: route.model })
  const streaming = checkStreaming(input)
  if (streaming.length > 0) return invalidParams(streaming)
  const checked = applyPolicy(input, route, {
    policy: context.policy,
    defaultModel: config[route.provider].model,
    maxInputChars: config.maxInputChars,
  })
  if ('issues' in checked) return invalidParams(checked.issues)
  const body = checked.body
  if (config[route.provider].apiKey === undefined) {
    const error = missingKeyError(route.provider)
    return failureResponse(error, record.fail(error, error.message))
  }
  const settings = {
    provider: route.provider,
    model: route.model,
    stream: body.stream === true,
    config,
    record,
    signal: context.signal,
  }
  if (route.provider === 'openai') return runAttempts((attempt) => openai(body, route, context, attempt), settings)
  const translated = toGeminiRequest(body, route.model)
  if (!translated.ok) return invalidParams(translated.issues)
  const request = JSON.stringify(translated.request)
  return runAttempts((attempt) => gemini(body, request, route, context, attempt), settings)
}

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

async function openai(body: Json, route: ModelRoute, context: CompletionContext, attempt: Attempt): Promise<Response> {
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
  if (body.stream === true) return streamResponse(response.body, createRelaySource(), route, context, attempt)
  // Whole: the upstream's JSON as it is; its end is read for the log line's usage.
  const bytes = new Uint8Array(await response.arrayBuffer())
  context.record.answered(bytes.byteLength)
  context.record.closing(completionSummary(new TextDecoder().decode(bytes)))
  return new Response(bytes, {
    status: response.status,
    headers: { 'content-type': response.headers.get('content-type') ?? 'application/json' },
  })
}

async function gemini(
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
    return streamResponse(response.body, createGeminiSource(translator), route, context, attempt)
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
