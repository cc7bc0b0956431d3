import type { Context } from 'hono'
import type { AppEnv } from '../../app-env'
import type { BudgetTicket } from '../../budgets/ticket'
import { reserveForRequest, settleWhenDone, withBudgetHeaders } from '../budget'
import { DirectWriter, runToEnd } from '../../delivery/direct-body'
import { streamAfterFirstOutput } from '../../delivery/first-output'
import { Generation, type GenerationPlan } from '../../engine/generation'
import { planFor } from '../../engine/plan'
import { startResumable } from '../../delivery/resumable'
import { invalidParams } from '../../renderers/chat/errors'
import { requestedModel } from './models'
import { parseChatBody } from './parse'
import { checkPolicy } from './policy'
import { createChatStreamRenderer } from '../../renderers/chat/stream'
import { createChatWholeRenderer } from '../../renderers/chat/whole'

/**
 * `POST /v1/chat/completions`: the model picks the provider; the body is parsed into a canonical
 * request (OpenAI gets the body itself, Gemini the translation) and runs on the one engine, with the
 * gateway's retries, `FALLBACK` (the gateway's own `"fallback": false` opts out), timeouts and bounds.
 * A stream is resumable like the rest of the API; its headers leave with the first chunk, so a failure
 * before it is an HTTP error the SDKs raise.
 *
 * @example
 * return chatCompletions(c, { model: 'gemini-2.5-flash', messages, stream: true })
 */

type Json = Record<string, unknown>

export async function chatCompletions(c: Context<AppEnv>, input: Json): Promise<Response> {
  const config = c.get('config')
  const record = c.get('record')
  const security = c.get('security')
  const providers = c.get('providers')
  const route = requestedModel(input, record)
  if (route instanceof Response) return route
  const checked = checkPolicy(input, route, {
    policy: security.policy,
    defaultModel: config[route.provider].model,
    maxInputChars: config.maxInputChars,
  })
  if ('issues' in checked) return invalidParams(checked.issues)
  const parsed = parseChatBody(input)
  if ('issues' in parsed) return invalidParams(parsed.issues)
  if (route.provider === 'gemini' && parsed.untranslatable.length > 0) return invalidParams(parsed.untranslatable)
  const { request, options } = parsed
  if (checked.maxOutputTokens !== undefined) request.maxOutputTokens = checked.maxOutputTokens
  const reserved = await reserveForRequest(c, request, 'openai')
  if (reserved instanceof Response) return reserved
  const { ticket } = reserved
  // A budget settles to OpenAI's usage: ask for it, and keep it from a client that did not.
  if (ticket && options.stream && !options.includeUsage && request.passthrough) request.passthrough.usageChunk = 'strip'
  const plan = planFor(config, providers, {
    provider: route.provider,
    model: route.model,
    request,
    fallback: options.fallback,
  })
  plan.timing = record.upstream
  // A fallback must answer the same request: a Gemini one only when the request translates whole.
  if (parsed.untranslatable.length > 0) plan.targets = plan.targets.filter((target) => target.provider !== 'gemini')
  if (!options.stream) return withBudgetHeaders(await whole(c, plan, ticket), ticket)
  const render = { api: 'chat' as const, includeUsage: options.includeUsage }
  const streams = c.get('streams')
  if (streams) return withBudgetHeaders(await startResumable(c, streams, plan, render, ticket), ticket)
  const writer = new DirectWriter()
  const generation = new Generation(plan, createChatStreamRenderer(writer, record, render))
  if (ticket) settleWhenDone(c, generation, ticket)
  return withBudgetHeaders(await streamAfterFirstOutput(c, generation, writer), ticket)
}

/** A whole chat completion: the first output is the whole answer, so only MAX_DURATION_MS bounds the wait. */
async function whole(c: Context<AppEnv>, plan: GenerationPlan, ticket: BudgetTicket | undefined): Promise<Response> {
  const record = c.get('record')
  plan.limits.firstTextTimeoutMs = plan.limits.maxDurationMs
  const renderer = createChatWholeRenderer(record)
  const generation = new Generation(plan, renderer)
  if (ticket) settleWhenDone(c, generation, ticket)
  await runToEnd(generation, c.req.raw.signal)
  record.set({ attempts: generation.attempts })
  return renderer.response()
}
