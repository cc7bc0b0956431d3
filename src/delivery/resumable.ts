import type { Context, MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env'
import type { RenderSpec } from '../renderers/spec'
import { openAIError } from '../renderers/chat/errors'
import type { BudgetTicket } from '../budgets/ticket'
import { settleBudget } from '../budgets/gate'
import type { GenerationPlan } from '../engine/generation'
import { newStreamId, parseEventId } from '../streams/event-id'
import { STORE_FULL_RETRY_SECONDS, StoreFullError, type StreamHost } from '../streams/host'
import type { StreamStart } from '../streams/live-stream'
import { waitUntil } from './wait-until'

/**
 * Resumable streams from the request's side: starting one in its API's events (or the 503 when the
 * store cannot), and resuming one with `Last-Event-ID` on a route that would otherwise start another.
 *
 * @example
 * if (c.get('streams')) return startResumable(c, c.get('streams'), plan, { api: 'seed' }, ticket)
 * app.post('/v1/chat/completions', resumeFromLastEventId, handler)
 */

const noContent = (c: Context) => c.body(null, 204)

/**
 * Starts a resumable stream in its API's events: the response carries `X-Stream-Id` and event ids.
 * `options`: a stream id of the API's choosing (a new random one by default), background mode, and
 * how long the final state stays readable.
 */
export async function startResumable(
  c: Context<AppEnv>,
  host: StreamHost,
  plan: GenerationPlan,
  render: RenderSpec,
  budget?: BudgetTicket,
  options: Partial<Pick<StreamStart, 'streamId' | 'background' | 'stateTtlMs'>> = {},
): Promise<Response> {
  const { providers, ...rest } = plan
  const config = c.get('config')
  const record = c.get('record')
  // The generation's host writes this request's log line when the answer ends.
  record.streaming = true
  try {
    return await host.start(
      {
        streamId: newStreamId(),
        ...options,
        plan: rest,
        render,
        ...(budget ? { budget } : {}),
        pingIntervalMs: config.pingIntervalMs,
        graceMs: config.resumeGraceMs,
        ttlMs: config.resumeTtlMs,
        maxStreamBytes: config.maxStreamBytes,
        record: record.snapshot(),
      },
      providers,
      record,
      {
        env: c.env ?? {},
        waitUntil: (work) => waitUntil(c, work),
        runInStore: config.resumeRunner === 'object',
      },
    )
  } catch (error) {
    // Nothing was spent: the caller's budget gets the reservation back.
    if (budget) await settleBudget(c.env ?? {}, budget, 0).catch(() => {})
    return notStarted(c, error, render)
  }
}

/**
 * No stream was started (the store is full, or the Durable Object failed): a 503 the client can act
 * on, with `Retry-After`, in its API's error shape. The request middleware then writes this request's
 * log line (outcome `error`, the cause in its `error` field), since no generation will.
 */
function notStarted(c: Context<AppEnv>, failure: unknown, render: RenderSpec): Response {
  const record = c.get('record')
  record.streaming = false
  const full = failure instanceof StoreFullError
  const retryAfter = String(STORE_FULL_RETRY_SECONDS)
  const message = full
    ? `gateway: too many answers are running at once (the resumable stream store is full), so this one was not started. Retry in ${retryAfter} s; if it persists, run more instances or set RESUMABLE=off.`
    : `gateway: the answer could not be started (the resumable stream store failed). Retry in ${retryAfter} s; if it persists, check the gateway logs for this request id, or set RESUMABLE=off.`
  const error = Object.assign(
    new Error(full ? 'the stream store is full' : 'the stream host failed', { cause: failure }),
    {
      kind: 'error',
    },
  )
  const publicMessage = record.fail(error, message)
  const headers = { 'retry-after': retryAfter }
  if (render.api !== 'seed') {
    const code = full ? 'stream_store_full' : 'stream_store_failed'
    return openAIError(503, publicMessage, { code, headers })
  }
  return c.json({ error: publicMessage, request_id: record.requestId }, 503, headers)
}

/**
 * On the chat endpoints: a request carrying `Last-Event-ID` resumes that stream and starts nothing.
 * An id that is not ours, unknown or expired gets 204 (EventSource then stops), as does a stream whose
 * closing event the client already has.
 */
export const resumeFromLastEventId: MiddlewareHandler<AppEnv> = async (c, next) => {
  const host = c.get('streams')
  const lastEventId = c.req.header('last-event-id')?.trim()
  if (!host || !lastEventId) return next()
  const position = parseEventId(lastEventId)
  if (!position) return noContent(c)
  const response = await host.resume(position.streamId, position.seq, c.get('config').pingIntervalMs)
  return response.status === 404 ? noContent(c) : response
}
