import type { Context } from 'hono'
import type { AppEnv } from '../../app-env'
import type { BudgetTicket } from '../../budgets/ticket'
import type { GenerationPlan } from '../../engine/generation'
import { startResumable } from '../../delivery/resumable'
import type { StreamHost } from '../../streams/host'
import type { RenderSpec } from '../../renderers/spec'
import { isObject, type Json } from '../../renderers/responses/json'
import { resolveOptions } from '../../renderers/responses/options'
import { responseObject } from '../../renderers/responses/response-object'
import { streamIdOf } from './stored'

/**
 * Background mode (`background: true`), the gateway's own for every provider: the answer runs in the
 * resumable store with nobody listening (the provider is asked for an ordinary stream), and the
 * client gets the response at once: the queued Response object, or with `stream: true` the events
 * from `response.created`. It then polls `GET /v1/responses/{id}` or follows
 * `GET /v1/responses/{id}?stream=true&starting_after=N`.
 *
 * When the gateway renders the answer (Gemini), the id is the route's and known before any event.
 * An OpenAI stream relayed as it is carries OpenAI's id: the first event tells it, and a pointer
 * under that id leads to the stream.
 *
 * @example
 * return startBackground(c, host, plan, render, ticket, { streamId, stream: false, relayable: false })
 * // 200 {"id":"resp_…","object":"response","status":"queued","background":true,…}
 */

type ResponsesSpec = Extract<RenderSpec, { api: 'responses' }>

export interface BackgroundOptions {
  streamId: string
  /** The client asked for the events (`stream: true`). */
  stream: boolean
  /** The answer may be OpenAI's own stream, relayed: its id is known only from its first event. */
  relayable: boolean
  stateTtlMs?: number
}

const encoder = new TextEncoder()
const FIRST_DATA = /(?:^|\n)data: ?([^\r\n]*)\r?\n\r?\n/

/** Reads a stream's body up to its first event's data; the body returned replays what was read, then the rest. */
export async function peekFirstEvent(
  response: Response,
): Promise<{ data: Json | undefined; body: ReadableStream<Uint8Array> }> {
  const reader = response.body!.getReader()
  const seen: Uint8Array[] = []
  const decoder = new TextDecoder()
  let text = ''
  let data: Json | undefined
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    seen.push(value)
    text += decoder.decode(value, { stream: true })
    const match = FIRST_DATA.exec(text)
    if (!match) continue
    try {
      const parsed: unknown = JSON.parse(match[1]!)
      if (isObject(parsed)) data = parsed
    } catch {
      // Not JSON: no id to learn.
    }
    break
  }
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of seen) controller.enqueue(chunk)
    },
    async pull(controller) {
      const { value, done } = await reader.read()
      if (done) controller.close()
      else controller.enqueue(value)
    },
    cancel: (reason) => reader.cancel(reason),
  })
  return { data, body }
}

function queued(spec: ResponsesSpec): Json {
  return responseObject(resolveOptions(spec).frame, { status: 'queued', output: [] })
}

const json = (value: Json) =>
  new Response(encoder.encode(JSON.stringify(value, null, 2)), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  })

export async function startBackground(
  c: Context<AppEnv>,
  host: StreamHost,
  plan: GenerationPlan,
  spec: ResponsesSpec,
  ticket: BudgetTicket | undefined,
  options: BackgroundOptions,
): Promise<Response> {
  const { streamId, stream, stateTtlMs } = options
  const started = await startResumable(c, host, plan, spec, ticket, {
    streamId,
    background: true,
    ...(stateTtlMs !== undefined ? { stateTtlMs } : {}),
  })
  if (!started.ok || !started.body) return started
  if (!options.relayable) {
    if (stream) return started
    await started.body.cancel()
    return json(queued(spec))
  }
  const { data, body } = await peekFirstEvent(started)
  const response = isObject(data?.response) ? data.response : undefined
  if (typeof response?.id === 'string' && response.id !== spec.id) {
    const config = c.get('config')
    const ttlMs = Math.max(config.resumeTtlMs, stateTtlMs ?? 0) + config.maxDurationMs
    await host.keep?.(streamIdOf(response.id), { stream: streamId }, ttlMs)
  }
  if (stream) return new Response(body, started)
  await body.cancel()
  return json(response ? { ...response, background: true } : queued(spec))
}
