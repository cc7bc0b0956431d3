import type { GenerateContentResponse } from '@google/genai'
import type { GatewayConfig } from '../env'
import { idleTimeoutError, malformedError, missingKeyError, ProviderError } from '../providers/errors'
import type { FetchFunction } from '../providers/types'
import { invalidParams, modelNotFound, openAIError, providerErrorResponse, type ParamIssue } from './errors'
import { createChunkTranslator } from './gemini-chunks'
import { toChatCompletion } from './gemini-completion'
import { toGeminiRequest } from './gemini-request'
import { geminiFrames } from './gemini-sse'
import { routeModel, type ModelRoute } from './models'
import { relayFrames } from './openai-relay'
import type { FrameStreamOptions } from './frame-stream'
import { streamResponse } from './stream-response'
import { send, upstreamFailure } from './upstream'

/**
 * `POST /v1/chat/completions`: the model picks the provider. OpenAI gets the request as it came
 * (only `model` rewritten) and its answer goes back as it is; Gemini gets the request translated
 * and its answer translated back, streamed or whole.
 *
 * @example
 * const response = await chatCompletions({ model: 'gemini-2.5-flash', messages, stream: true }, { config, fetch, signal })
 */

export interface CompletionContext {
  config: GatewayConfig
  fetch: FetchFunction
  /** Fires when the client leaves; the upstream request is aborted then. */
  signal?: AbortSignal
}

type Json = Record<string, unknown>

function checkStreaming(body: Json): ParamIssue[] {
  const issues: ParamIssue[] = []
  if (body.stream != null && typeof body.stream !== 'boolean') issues.push({ param: 'stream', message: 'must be a boolean' })
  const options = body.stream_options
  if (options != null) {
    if (body.stream !== true) issues.push({ param: 'stream_options', message: "is only allowed when 'stream' is true" })
    else if (typeof options !== 'object' || Array.isArray(options)) issues.push({ param: 'stream_options', message: 'must be an object' })
    else {
      const usage = (options as Json).include_usage
      if (usage != null && typeof usage !== 'boolean') issues.push({ param: 'stream_options.include_usage', message: 'must be a boolean' })
    }
  }
  return issues
}

export async function chatCompletions(body: Json, context: CompletionContext): Promise<Response> {
  if (typeof body.model !== 'string' || body.model === '') {
    return invalidParams([{ param: 'model', message: 'is required (a model name such as "gemini-2.5-flash" or "gpt-4.1-mini")' }])
  }
  const route = routeModel(body.model)
  if (!route) return modelNotFound(body.model)
  const streaming = checkStreaming(body)
  if (streaming.length > 0) return invalidParams(streaming)
  if (context.config[route.provider].apiKey === undefined) return providerErrorResponse(missingKeyError(route.provider))

  const abort = new AbortController()
  const client = context.signal
  client?.addEventListener('abort', () => abort.abort(client.reason), { once: true })
  // A stream answers once its first frame is there: until then the idle timeout covers the wait
  // for the provider's headers and its first text (after it, the body's own timer does).
  const options = streamOptions(route, context, abort)
  const timer = body.stream === true ? setTimeout(() => abort.abort(options.idleError()), options.idleTimeoutMs) : undefined
  try {
    return route.provider === 'openai' ? await openai(body, route, context, options) : await gemini(body, route, context, options)
  } catch (error) {
    const reason: unknown = abort.signal.reason
    const failure = abort.signal.aborted && reason instanceof ProviderError ? reason : error
    if (failure instanceof ProviderError) return providerErrorResponse(failure)
    if (abort.signal.aborted) return openAIError(499, 'gateway: the client closed the request.', { code: 'client_closed' })
    throw error
  } finally {
    clearTimeout(timer)
  }
}

function streamOptions(route: ModelRoute, context: CompletionContext, abort: AbortController): FrameStreamOptions {
  const idleMs = context.config.upstreamIdleTimeoutMs
  return {
    abort,
    pingIntervalMs: context.config.pingIntervalMs,
    idleTimeoutMs: idleMs,
    idleError: () => idleTimeoutError(route.provider, idleMs),
    source: route.provider,
  }
}

async function openai(body: Json, route: ModelRoute, context: CompletionContext, options: FrameStreamOptions): Promise<Response> {
  const { apiKey, baseURL } = context.config.openai
  const response = await send({
    provider: 'openai',
    url: `${baseURL}/chat/completions`,
    headers: { authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ ...body, model: route.model }),
    fetch: context.fetch,
    signal: options.abort.signal,
  })
  if (!response.ok || !response.body) return upstreamFailure('openai', response)
  if (body.stream !== true) {
    return new Response(response.body, {
      status: response.status,
      headers: { 'content-type': response.headers.get('content-type') ?? 'application/json' },
    })
  }
  return streamResponse(relayFrames(response.body), options)
}

async function gemini(body: Json, route: ModelRoute, context: CompletionContext, options: FrameStreamOptions): Promise<Response> {
  const translated = toGeminiRequest(body, route.model)
  if (!translated.ok) return invalidParams(translated.issues)
  const { apiKey, baseURL, apiVersion } = context.config.gemini
  const stream = body.stream === true
  const method = stream ? 'streamGenerateContent?alt=sse' : 'generateContent'
  const response = await send({
    provider: 'gemini',
    url: `${baseURL}/${apiVersion}/models/${encodeURIComponent(route.model)}:${method}`,
    headers: { 'x-goog-api-key': apiKey ?? '' },
    body: JSON.stringify(translated.request),
    fetch: context.fetch,
    signal: options.abort.signal,
  })
  if (!response.ok || !response.body) return upstreamFailure('gemini', response)
  const created = Math.floor(Date.now() / 1000)
  if (stream) {
    const includeUsage = (body.stream_options as Json | undefined)?.include_usage === true
    const translator = createChunkTranslator({ model: route.model, includeUsage, created })
    return streamResponse(geminiFrames(response.body, translator), options)
  }
  let reply: GenerateContentResponse
  try {
    reply = (await response.json()) as GenerateContentResponse
  } catch (error) {
    if (options.abort.signal.aborted) throw error
    throw malformedError('gemini', error)
  }
  return Response.json(toChatCompletion(reply, route.model, created))
}
