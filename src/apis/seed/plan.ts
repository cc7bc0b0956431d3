import type { Context } from 'hono'
import { checkMaxTokens, checkModel, outputTokens } from '../../access/model-policy'
import type { AppEnv } from '../../app-env'
import type { GenerationPlan } from '../../engine/generation'
import { planFor } from '../../engine/plan'
import type { ChatRequestBody } from '../../schemas'
import { badRequest } from '../../validation'
import type { BudgetTicket } from '../../budgets/ticket'
import { reserveForRequest } from '../budget'
import { checkInputSize, seedRequest } from './parse'

/**
 * What a chat request will run, or the 400 that refuses it: MAX_INPUT_CHARS, then ALLOWED_MODELS and
 * MAX_OUTPUT_TOKENS (a request without `max_tokens` gets the cap), then the token budget's reservation
 * (429 when it does not fit), with the provider and model set on the request's log record. Shared by
 * the streaming routes and `/api/flows/ask`.
 *
 * @example
 * const planned = await planChat(c, c.req.valid('json'))
 * if (planned instanceof Response) return planned
 */
export async function planChat(c: Context<AppEnv>, input: ChatRequestBody): Promise<PlannedChat | Response> {
  const config = c.get('config')
  const record = c.get('record')
  const security = c.get('security')
  const tooLong = checkInputSize(input, config.maxInputChars)
  if (tooLong) return badRequest(c, [tooLong])
  const provider = input.provider ?? config.defaultProvider
  record.set({ provider, model: input.model ?? config[provider].model })
  record.prompt(input.user_input)
  const denied =
    checkModel(security.policy, provider, input.model, config[provider].model) ??
    checkMaxTokens(security.policy, input.max_tokens)
  if (denied) return badRequest(c, [denied])
  const maxTokens = outputTokens(security.policy, input.max_tokens)
  const request = seedRequest(input)
  if (maxTokens !== undefined) request.maxOutputTokens = maxTokens
  const reserved = await reserveForRequest(c, request, 'gateway')
  if (reserved instanceof Response) return reserved
  const plan = planFor(config, c.get('providers'), {
    provider,
    ...(input.model !== undefined ? { model: input.model } : {}),
    request,
    fallback: input.fallback,
  })
  plan.timing = record.upstream
  return { plan, ...reserved }
}

export interface PlannedChat {
  plan: GenerationPlan
  /** The token budget's reservation, when a budget applies. */
  ticket?: BudgetTicket
}
