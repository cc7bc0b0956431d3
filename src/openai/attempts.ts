import type { GatewayConfig, ProviderName } from '../env'
import { canFallBack, retryDelay } from '../flows/retry-policy'
import { sleep } from '../flows/sleep'
import type { RequestRecord } from '../observability/request-record'
import { ProviderError, firstTextTimeoutError, idleTimeoutError, maxDurationError } from '../providers/errors'
import { openAIError } from './errors'
import { failureOf } from './frame-stream'
import type { CompletionTarget } from './targets'
import { failureResponse } from './upstream'

/**
 * Runs one chat completion's upstream attempts with the rest of the gateway's policy: a 429, 5xx,
 * network failure or silence before anything went to the client is tried again (RETRIES, with
 * the backoff and `Retry-After` of `retryDelay`), never once a frame was sent; when a target's
 * tries are spent (or its failure is not worth retrying), the next target (a `FALLBACK` entry) is
 * tried, unless `canFallBack` says no (a 400, a blocked prompt, the total time limit). Each
 * streamed attempt must bring its first frame within FIRST_TEXT_TIMEOUT_MS (retried) and hear
 * from the provider within UPSTREAM_IDLE_TIMEOUT_MS (not retried); MAX_DURATION_MS bounds the
 * whole answer, retries, fallbacks and stream included.
 *
 * @example
 * return runAttempts(targets, { stream: true, config, record, signal })
 */

export interface Attempt {
  /** Aborted by the client leaving, a timeout, or the total time limit (its reason says which). */
  abort: AbortController
  /** A stream calls this once it ended (it stops the total-time timer). */
  onEnd: () => void
}

export interface AttemptSettings {
  stream: boolean
  config: GatewayConfig
  record: RequestRecord
  /** Fires when the client leaves. */
  signal?: AbortSignal
}

interface AttemptLog {
  provider: ProviderName
  model: string
  outcome: string
  status?: number
  ms: number
}

/** The first-frame limit of one streamed attempt: the shorter of the first-text and idle timeouts. */
function firstFrameLimit(config: GatewayConfig, provider: ProviderName): [number, () => ProviderError] {
  const { firstTextTimeoutMs: first, upstreamIdleTimeoutMs: idle } = config
  return first <= idle
    ? [first, () => firstTextTimeoutError(provider, first)]
    : [idle, () => idleTimeoutError(provider, idle)]
}

export async function runAttempts(targets: CompletionTarget[], settings: AttemptSettings): Promise<Response> {
  const { config, record } = settings
  const startedAt = Date.now()
  const request = new AbortController()
  const client = settings.signal
  const onClientLeft = () =>
    request.abort(client!.reason ?? new DOMException('The client closed the request', 'AbortError'))
  client?.addEventListener('abort', onClientLeft, { once: true })
  let target = targets[0]!
  const deadline = setTimeout(
    () => request.abort(maxDurationError(target.provider, config.maxDurationMs)),
    config.maxDurationMs,
  )
  const stop = () => {
    clearTimeout(deadline)
    client?.removeEventListener('abort', onClientLeft)
  }
  const attempts: AttemptLog[] = []
  let streaming = false

  try {
    for (let index = 0, retry = 0; ; retry++) {
      target = targets[index]!
      const { provider, model } = target
      const abort = new AbortController()
      const forward = () => abort.abort(request.signal.reason)
      request.signal.addEventListener('abort', forward, { once: true })
      if (request.signal.aborted) forward()
      const [limit, limitError] = firstFrameLimit(config, provider)
      const timer = settings.stream ? setTimeout(() => abort.abort(limitError()), limit) : undefined
      const attemptStartedAt = Date.now()
      try {
        const response = await target.run({ abort, onEnd: stop })
        attempts.push({ provider, model, outcome: 'done', ms: Date.now() - attemptStartedAt })
        streaming = settings.stream && response.status === 200
        return response
      } catch (error) {
        request.signal.removeEventListener('abort', forward)
        const failure = failureOf(abort, error)
        const status = failure instanceof ProviderError ? failure.status : undefined
        const outcome =
          failure instanceof ProviderError ? failure.kind : request.signal.aborted ? 'aborted' : 'internal'
        attempts.push({
          provider,
          model,
          outcome,
          ...(status !== undefined ? { status } : {}),
          ms: Date.now() - attemptStartedAt,
        })
        if (request.signal.aborted) throw failure
        const remaining = startedAt + config.maxDurationMs - Date.now()
        const wait = retry < config.retries ? retryDelay(failure, retry) : undefined
        if (wait !== undefined && wait < remaining) {
          await sleep(wait, request.signal)
          continue
        }
        if (index + 1 >= targets.length || remaining <= 0 || !canFallBack(failure)) throw failure
        index++
        retry = -1
      } finally {
        clearTimeout(timer)
      }
    }
  } catch (error) {
    const failure = failureOf(request, error)
    if (failure instanceof ProviderError) {
      return failureResponse(failure, record.fail(failure, failure.message))
    }
    if (request.signal.aborted)
      return openAIError(499, 'gateway: the client closed the request.', { code: 'client_closed' })
    throw error
  } finally {
    record.set({ attempts })
    if (!streaming) stop()
  }
}
