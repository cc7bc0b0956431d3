import { ApiError, GoogleGenAI, type Content, type GenerateContentResponse } from '@google/genai'
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
import { parseGoogleError } from './google-error'
import { withTail, type TailRecorder } from './response-tail'
import type { ChatProvider, ChatRequest, FetchFunction, StreamResult, TextStream, Usage } from './types'

export interface GeminiProviderSettings {
  apiKey?: string
  /** Without the version path, e.g. `https://generativelanguage.googleapis.com`. */
  baseURL?: string
  /** `v1beta` (default) or `v1`. */
  apiVersion?: string
  model?: string
  fetch?: FetchFunction
}

/** Finish reasons that end an answer normally; any other one is reported as an error. */
const NORMAL_FINISH = new Set(['STOP', 'MAX_TOKENS', 'FINISH_REASON_UNSPECIFIED'])

/**
 * The Gemini provider, on the official `@google/genai` SDK (`streamGenerateContent?alt=sse`).
 *
 * @example
 * const gemini = createGeminiProvider({ apiKey: env.GEMINI_API_KEY, model: 'gemini-2.5-flash' })
 * for await (const text of gemini.stream({ prompt: 'Hi' }, { signal })) console.log(text)
 */
export function createGeminiProvider(settings: GeminiProviderSettings = {}): ChatProvider {
  const defaultModel = settings.model ?? 'gemini-2.5-flash'
  const runtimeFetch = settings.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const client = settings.apiKey
    ? new GoogleGenAI({
        apiKey: settings.apiKey,
        apiVersion: settings.apiVersion ?? 'v1beta',
        httpOptions: { baseUrl: settings.baseURL ?? 'https://generativelanguage.googleapis.com' },
      })
    : undefined

  return {
    name: 'gemini',
    defaultModel,
    configured: client !== undefined,
    stream(request, { signal }) {
      if (!client) return failedStream(missingKeyError('gemini'))
      // The tail of the raw body lets us report an error object that Gemini sends mid-stream
      // without `data:` framing, which the SDK only sees as an incomplete segment.
      const tail = withTail()
      const fetch: FetchFunction = async (input, init) => tail.wrap(await runtimeFetch(input, init))
      return streamContent(client, request, request.model ?? defaultModel, signal, fetch, tail)
    },
  }
}

function toContents(request: ChatRequest): Content[] {
  const contents: Content[] = []
  for (const turn of request.messages ?? []) {
    contents.push({ role: turn.role === 'assistant' ? 'model' : 'user', parts: [{ text: turn.content }] })
  }
  contents.push({ role: 'user', parts: [{ text: request.prompt }] })
  return contents
}

function toUsage(usage: NonNullable<GenerateContentResponse['usageMetadata']>): Usage {
  return {
    prompt_tokens: usage.promptTokenCount,
    completion_tokens: usage.candidatesTokenCount,
    total_tokens: usage.totalTokenCount,
    ...(usage.thoughtsTokenCount ? { reasoning_tokens: usage.thoughtsTokenCount } : {}),
  }
}

async function* streamContent(
  client: GoogleGenAI,
  request: ChatRequest,
  model: string,
  signal: AbortSignal,
  fetch: FetchFunction,
  tail: TailRecorder,
): TextStream {
  let chunks: AsyncIterable<GenerateContentResponse>
  try {
    chunks = await client.models.generateContentStream({
      model,
      contents: toContents(request),
      config: {
        abortSignal: signal,
        httpOptions: { fetch },
        ...(request.system ? { systemInstruction: request.system } : {}),
        ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        ...(request.maxTokens !== undefined ? { maxOutputTokens: request.maxTokens } : {}),
      },
    })
  } catch (error) {
    throw toProviderError(error, signal, false, tail)
  }

  const result: StreamResult = { provider: 'gemini', model, finishReason: '' }
  let rawFinish = ''
  try {
    for await (const chunk of chunks) {
      const blockReason = chunk.promptFeedback?.blockReason
      if (blockReason) {
        throw new ProviderError(
          'gemini',
          'blocked',
          `gemini: the prompt was blocked by Gemini's safety filters (block reason ${blockReason}). Rephrase the question.`,
        )
      }
      const candidate = chunk.candidates?.[0]
      const parts = candidate?.content?.parts
      if (parts !== undefined) {
        for (const part of parts) {
          if (part.text && !part.thought) yield part.text
        }
      }
      if (candidate?.finishReason) rawFinish = candidate.finishReason
      if (chunk.usageMetadata) result.usage = toUsage(chunk.usageMetadata)
      if (chunk.modelVersion) result.model = chunk.modelVersion
    }
  } catch (error) {
    if (error instanceof ProviderError) throw error
    throw toProviderError(error, signal, true, tail)
  }
  if (signal.aborted) throw signal.reason
  if (!rawFinish) throw truncatedError('gemini')
  if (!NORMAL_FINISH.has(rawFinish)) throw finishError(rawFinish)
  result.model = result.model.replace(/^models\//, '')
  result.finishReason = rawFinish === 'MAX_TOKENS' ? 'length' : 'stop'
  return result
}

function finishError(reason: string): ProviderError {
  const why =
    reason === 'SAFETY' || reason === 'IMAGE_SAFETY'
      ? "was stopped by Gemini's safety filters"
      : reason === 'RECITATION'
        ? 'was stopped because it was reciting existing material'
        : reason === 'PROHIBITED_CONTENT' || reason === 'BLOCKLIST' || reason === 'SPII'
          ? 'was stopped by Gemini because of prohibited or sensitive content'
          : 'was stopped by Gemini'
  return new ProviderError(
    'gemini',
    'blocked',
    `gemini: the answer ${why} (finish reason ${reason}). The answer is incomplete; rephrase the question.`,
  )
}

/** Maps what the SDK throws to a {@link ProviderError} with a message a client can act on. */
function toProviderError(error: unknown, signal: AbortSignal, midStream: boolean, tail: TailRecorder): unknown {
  if (isAbort(error, signal)) return error
  // Issue 8: our own error (a refused redirect) thrown from inside the SDK's fetch.
  const own = ownProviderError(error)
  if (own) return own
  if (error instanceof ApiError) {
    const parsed = parseGoogleError(error.message)
    // "got status: …" is how the SDK reports an error object found inside a 200 stream,
    // possibly while it reads the first events.
    const inStream = midStream || error.message.startsWith('got status:')
    return upstreamStatusError('gemini', parsed?.code ?? error.status, parsed?.message ?? '', {
      midStream: inStream,
      cause: error,
    })
  }
  const message = error instanceof Error ? error.message : ''
  if (midStream && /Incomplete JSON segment|exception parsing stream chunk|JSON/i.test(message)) {
    // A bare `{"error": …}` object at the end of the body: report the provider's own words.
    const tailError = parseGoogleError(tail.text())
    if (tailError) return upstreamStatusError('gemini', tailError.code, tailError.message, { midStream, cause: error })
    return /Incomplete JSON segment/.test(message) ? truncatedError('gemini', error) : malformedError('gemini', error)
  }
  if (error instanceof SyntaxError) return malformedError('gemini', error)
  return midStream ? truncatedError('gemini', error) : networkError('gemini', error)
}
