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
  try {
    return route.provider === 'openai' ? await openai(body, route, context, abort) : await gemini(body, route, context, abort)
  } catch (error) {
    if (error instanceof ProviderError) return providerErrorResponse(error)
    if (abort.signal.aborted) return openAIError(499, 'gateway: the client closed the request.', { code: 'client_closed' })
    throw error
  }
}

function streamOptions(route: ModelRoute, context: CompletionContext, abort: AbortController) {
  const idleMs = context.config.upstreamIdleTimeoutMs
  return {
    abort,
    pingIntervalMs: context.config.pingIntervalMs,
    idleTimeoutMs: idleMs,
    idleError: () => idleTimeoutError(route.provider, idleMs),
    source: route.provider,
  }
}

async function openai(body: Json, route: ModelRoute, context: CompletionContext, abort: AbortController): Promise<Response> {
  const { apiKey, baseURL } = context.config.openai
  const response = await send({
    provider: 'openai',
    url: `${baseURL}/chat/completions`,
    headers: { authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ ...body, model: route.model }),
    fetch: context.fetch,
    signal: abort.signal,
  })
  if (!response.ok || !response.body) return upstreamFailure('openai', response)
  if (body.stream !== true) {
    return new Response(response.body, {
      status: response.status,
      headers: { 'content-type': response.headers.get('content-type') ?? 'application/json' },
    })
  }
  return streamResponse(relayFrames(response.body), streamOptions(route, context, abort))
}

async function gemini(body: Json, route: ModelRoute, context: CompletionContext, abort: AbortController): Promise<Response> {
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
    signal: abort.signal,
  })
  if (!response.ok || !response.body) return upstreamFailure('gemini', response)
  const created = Math.floor(Date.now() / 1000)
  if (stream) {
    const options = body.stream_options as Json | undefined
    const translator = createChunkTranslator({ model: route.model, includeUsage: options?.include_usage === true, created })
    return streamResponse(geminiFrames(response.body, translator), streamOptions(route, context, abort))
  }
  let reply: GenerateContentResponse
  try {
    reply = (await response.json()) as GenerateContentResponse
  } catch (error) {
    if (abort.signal.aborted) throw error
    throw malformedError('gemini', error)
  }
  return Response.json(toChatCompletion(reply, route.model, created))
}
