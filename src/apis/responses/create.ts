import type { Context } from 'hono'
import type { AppEnv } from '../../app-env'
import type { BudgetTicket } from '../../budgets/ticket'
import { DirectWriter, runToEnd } from '../../delivery/direct-body'
import { streamAfterFirstOutput } from '../../delivery/first-output'
import { Generation, type GenerationPlan } from '../../engine/generation'
import { planFor } from '../../engine/plan'
import { startResumable } from '../../delivery/resumable'
import { reserveForRequest, settleWhenDone, withBudgetHeaders } from '../budget'
import { invalidParams } from '../../renderers/chat/errors'
import { requestedModel } from '../chat/models'
import type { RenderSpec } from '../../renderers/spec'
import { startBackground } from './background'
import { inputItems, loadHistory } from './history'
import { newResponseId } from '../../renderers/responses/ids'
import type { Json } from '../../renderers/responses/json'
import { parseResponsesBody, type ParseContext } from './parse'
import { checkInputChars, checkResponsesPolicy } from './policy'
import { createResponsesStreamRenderer } from '../../renderers/responses/stream'
import { createResponsesWholeRenderer } from '../../renderers/responses/whole'
import { streamIdOf } from './stored'

/**
 * `POST /v1/responses`: the model picks the provider, as on chat completions. OpenAI gets the
 * client's body as it is (`previous_response_id` too: OpenAI keeps its conversations) and its answer
 * is passed through; Gemini gets the translation, with the earlier turns the gateway kept prepended
 * (`previous_response_id`). Every stream is resumable (`Last-Event-ID`, `GET /v1/responses/{id}?stream=true`),
 * `background: true` runs the answer in the resumable store, and a Gemini answer is kept for
 * RESPONSES_TTL_MS unless `store: false`.
 *
 * @example
 * return createResponse(c, { model: 'gemini-2.5-flash', input: 'Hi', stream: true })
 */

type ResponsesSpec = Extract<RenderSpec, { api: 'responses' }>

export async function createResponse(c: Context<AppEnv>, body: Json): Promise<Response> {
  const config = c.get('config')
  const record = c.get('record')
  const security = c.get('security')
  const providers = c.get('providers')
  const host = c.get('streams')
  const route = requestedModel(body, record)
  if (route instanceof Response) return route
  const checked = checkResponsesPolicy(body, route, {
    policy: security.policy,
    defaultModel: config[route.provider].model,
    maxInputChars: config.maxInputChars,
  })
  if ('issues' in checked) return invalidParams(checked.issues)
  // Gemini's answer is the gateway's to render and keep; OpenAI's is relayed and OpenAI keeps it.
  const translated = route.provider !== 'openai'
  const context: ParseContext | Response = translated ? await loadHistory(host, body) : {}
  if (context instanceof Response) return context
  const parsed = parseResponsesBody(body, context)
  if ('issues' in parsed) return invalidParams(parsed.issues)
  if (translated && parsed.untranslatable.length > 0) return invalidParams(parsed.untranslatable)
  const { request, options } = parsed
  const tooLong = checkInputChars(request, config.maxInputChars)
  if (tooLong) return invalidParams([tooLong])
  if (options.background && !host?.snapshot) {
    return invalidParams([
      { param: 'background', message: 'needs resumable streams, which are off on this gateway (RESUMABLE=off)' },
    ])
  }
  if (checked.maxOutputTokens !== undefined) request.maxOutputTokens = checked.maxOutputTokens
  if (translated) delete request.passthrough
  else if (options.background && request.passthrough) {
    // The gateway's own background mode: OpenAI is asked for an ordinary stream.
    const { background: _background, ...rest } = request.passthrough.body
    request.passthrough.body = { ...rest, stream: true }
  }
  const id = newResponseId()
  record.set({
    response_id: id,
    ...(options.background ? { background: true } : {}),
    ...(options.droppedTools.length > 0 ? { dropped_tools: options.droppedTools } : {}),
    ...(options.skippedItems.length > 0 ? { skipped_items: options.skippedItems } : {}),
  })

  const reserved = await reserveForRequest(c, request, 'openai')
  if (reserved instanceof Response) return reserved
  const { ticket } = reserved
  const plan = planFor(config, providers, {
    provider: route.provider,
    model: route.model,
    request,
    fallback: options.fallback,
  })
  plan.timing = c.get('record').upstream
  // Gemini cannot answer what it cannot read: untranslatable input, or a conversation OpenAI keeps.
  if (!translated && (parsed.untranslatable.length > 0 || options.previousResponseId)) {
    plan.targets = plan.targets.filter((target) => target.provider !== 'gemini')
  }
  const spec: ResponsesSpec = {
    api: 'responses',
    model: route.model,
    id,
    createdAt: Math.floor(Date.now() / 1000),
    echo: options.echo,
    reasoningSummary: options.reasoningSummary,
    customTools: options.customTools,
    ...(options.store
      ? { conversation: [...(context.history ?? []), ...inputItems(body.input, context.storedItems)] }
      : {}),
  }
  const stateTtlMs = options.store ? config.responsesTtlMs : undefined
  if (options.background && host) {
    const streamId = streamIdOf(id)
    const background = { streamId, stream: options.stream, relayable: !translated, stateTtlMs }
    return withBudgetHeaders(await startBackground(c, host, plan, spec, ticket, background), ticket)
  }
  if (!options.stream) return withBudgetHeaders(await whole(c, plan, spec, ticket, stateTtlMs), ticket)
  if (host) {
    const started = await startResumable(c, host, plan, spec, ticket, {
      streamId: streamIdOf(id),
      ...(stateTtlMs !== undefined ? { stateTtlMs } : {}),
    })
    return withBudgetHeaders(started, ticket)
  }
  return withBudgetHeaders(await direct(c, plan, spec, ticket), ticket)
}

/** A stream on the direct path (RESUMABLE=off): its headers leave with the first event. */
async function direct(
  c: Context<AppEnv>,
  plan: GenerationPlan,
  spec: ResponsesSpec,
  ticket: BudgetTicket | undefined,
): Promise<Response> {
  const record = c.get('record')
  const writer = new DirectWriter()
  const generation = new Generation(plan, createResponsesStreamRenderer(writer, record, spec))
  if (ticket) settleWhenDone(c, generation, ticket)
  return streamAfterFirstOutput(c, generation, writer)
}

/** A whole response; a Gemini one is kept (`store` not false) for `previous_response_id` and `GET`. */
async function whole(
  c: Context<AppEnv>,
  plan: GenerationPlan,
  spec: ResponsesSpec,
  ticket: BudgetTicket | undefined,
  stateTtlMs: number | undefined,
): Promise<Response> {
  const record = c.get('record')
  const host = c.get('streams')
  plan.limits.firstTextTimeoutMs = plan.limits.maxDurationMs
  const renderer = createResponsesWholeRenderer(record, spec)
  const generation = new Generation(plan, renderer)
  if (ticket) settleWhenDone(c, generation, ticket)
  await runToEnd(generation, c.req.raw.signal)
  record.set({ attempts: generation.attempts })
  const response = renderer.response()
  const state = renderer.state()
  if (response.ok && state.conversation && stateTtlMs !== undefined && host?.keep) {
    try {
      await host.keep(streamIdOf(spec.id!), state, stateTtlMs)
    } catch (error) {
      record.set({ kept: false, keep_error: error instanceof Error ? error.message : String(error) })
    }
  }
  return response
}
