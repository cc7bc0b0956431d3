import OpenAI, { APIError, APIConnectionError, APIConnectionTimeoutError } from 'openai'
import type { ChatCompletionChunk, ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import {
  ProviderError,
  failedStream,
  isAbort,
  malformedError,
  missingKeyError,
  networkError,
  truncatedError,
  upstreamStatusError,
} from './errors'
import { ownProviderError } from './no-redirect-fetch'
import type { ChatProvider, ChatRequest, FetchFunction, StreamResult, TextStream, Usage } from './types'

export interface OpenAIProviderSettings {
  apiKey?: string
  /** Must include the API version path, e.g. `https://api.openai.com/v1`. */
  baseURL?: string
  model?: string
  fetch?: FetchFunction
}

/**
 * The OpenAI chat completions provider, on the official `openai` SDK.
 *
 * @example
 * const openai = createOpenAIProvider({ apiKey: env.OPENAI_API_KEY, model: 'gpt-4.1-mini' })
 * for await (const text of openai.stream({ prompt: 'Hi' }, { signal })) console.log(text)
 */
export function createOpenAIProvider(settings: OpenAIProviderSettings = {}): ChatProvider {
  const defaultModel = settings.model ?? 'gpt-4.1-mini'
  const client = settings.apiKey
    ? new OpenAI({
        apiKey: settings.apiKey,
        baseURL: settings.baseURL ?? 'https://api.openai.com/v1',
        // The gateway answers at once and lets the client decide whether to retry.
        maxRetries: 0,
        ...(settings.fetch ? { fetch: settings.fetch } : {}),
      })
    : undefined

  return {
    name: 'openai',
    defaultModel,
    configured: client !== undefined,
    stream(request, { signal }) {
      if (!client) return failedStream(missingKeyError('openai'))
      return streamChat(client, request, request.model ?? defaultModel, signal)
    },
  }
}

function toMessages(request: ChatRequest): ChatCompletionMessageParam[] {
  const messages: ChatCompletionMessageParam[] = []
  if (request.system) messages.push({ role: 'system', content: request.system })
  for (const turn of request.messages ?? []) messages.push({ role: turn.role, content: turn.content })
  messages.push({ role: 'user', content: request.prompt })
  return messages
}

function toUsage(usage: NonNullable<ChatCompletionChunk['usage']>): Usage {
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.total_tokens,
    ...(usage.completion_tokens_details?.reasoning_tokens
      ? { reasoning_tokens: usage.completion_tokens_details.reasoning_tokens }
      : {}),
  }
}

async function* streamChat(client: OpenAI, request: ChatRequest, model: string, signal: AbortSignal): TextStream {
  let chunks: AsyncIterable<ChatCompletionChunk>
  try {
    chunks = await client.chat.completions.create(
      {
        model,
        messages: toMessages(request),
        stream: true,
        stream_options: { include_usage: true },
        ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        ...(request.maxTokens !== undefined ? { max_completion_tokens: request.maxTokens } : {}),
      },
      { signal },
    )
  } catch (error) {
    throw toProviderError(error, signal, false)
  }

  const result: StreamResult = { provider: 'openai', model, finishReason: '' }
  let refused = false
  try {
    for await (const chunk of chunks) {
      const choice = chunk.choices[0]
      // With several choices each chunk carries one of them: the answer is choice 0.
      if (choice !== undefined && (choice.index ?? 0) === 0) {
        const delta = choice.delta
        if (delta.content) {
          yield delta.content
        } else if (delta.refusal) {
          refused = true
          yield delta.refusal
        }
        if (choice.finish_reason) result.finishReason = choice.finish_reason
      }
      if (chunk.usage) result.usage = toUsage(chunk.usage)
      if (chunk.model) result.model = chunk.model
    }
  } catch (error) {
    throw toProviderError(error, signal, true)
  }
  if (signal.aborted) throw signal.reason
  if (!result.finishReason) throw truncatedError('openai')
  if (result.finishReason === 'content_filter') {
    throw new ProviderError(
      'openai',
      'blocked',
      "openai: the answer was stopped by OpenAI's content filter (finish reason content_filter). Rephrase the question.",
    )
  }
  if (refused) result.finishReason = 'refusal'
  return result
}

/** Maps what the SDK throws to a {@link ProviderError} with a message a client can act on. */
function toProviderError(error: unknown, signal: AbortSignal, midStream: boolean): unknown {
  if (isAbort(error, signal)) return error
  // Issue 8: our own error (a refused redirect) thrown from inside the SDK's fetch.
  const own = ownProviderError(error)
  if (own) return own
  if (error instanceof APIConnectionTimeoutError || error instanceof APIConnectionError) {
    return midStream ? truncatedError('openai', error) : networkError('openai', error)
  }
  if (error instanceof APIError) {
    const body = error.error as { message?: unknown } | undefined
    const upstreamMessage = typeof body?.message === 'string' ? body.message : error.message
    return upstreamStatusError('openai', error.status, upstreamMessage, { midStream, cause: error })
  }
  if (error instanceof SyntaxError) return malformedError('openai', error)
  return midStream ? truncatedError('openai', error) : networkError('openai', error)
}
