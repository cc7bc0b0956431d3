import { ProviderError } from '../providers/errors'
import { describeFailure, openAIError, providerErrorResponse } from './errors'
import { STREAM_HEADERS, frameStream, type FrameStreamOptions } from './frame-stream'

/**
 * Answers a streamed chat completion once its first frame is there: until then nothing is sent,
 * so a failure (an error event in the first read, a dropped connection, silence past the idle
 * timeout, which the caller's timer turns into an abort) is still a plain OpenAI error reply with its status, which the SDKs raise as their
 * usual error classes. After it, failures are error frames (see {@link frameStream}).
 *
 * @example
 * return streamResponse(geminiFrames(upstream.body, translator), { abort, pingIntervalMs, idleTimeoutMs, idleError, source: 'gemini' })
 */
export async function streamResponse(
  frames: AsyncGenerator<string | Uint8Array, void, undefined>,
  options: FrameStreamOptions,
): Promise<Response> {
  const { abort } = options
  let first: IteratorResult<string | Uint8Array, void>
  try {
    first = await frames.next()
  } catch (error) {
    const reason: unknown = abort.signal.reason
    const failure = abort.signal.aborted && reason instanceof ProviderError ? reason : error
    if (failure instanceof ProviderError) return providerErrorResponse(failure)
    const { message, code } = describeFailure(failure)
    return openAIError(500, message, { code })
  }
  const body = frameStream(first.done ? undefined : first.value, frames, options)
  return new Response(body, { status: 200, headers: STREAM_HEADERS })
}
