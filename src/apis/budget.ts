import type { Context } from 'hono'
import { waitUntil } from '../delivery/wait-until'
import type { CanonicalRequest } from '../canonical/request'
import type { AppEnv } from '../app-env'
import type { Generation } from '../engine/generation'
import { estimateChatCompletionInput, estimateInputTokens } from '../budgets/estimate'
import { reserveBudget, settleBudget } from '../budgets/gate'
import type { BudgetTicket } from '../budgets/ticket'
import { holdBudget } from '../budgets/hold'
import { budgetHeaders, budgetMisconfigured, budgetRefusal } from '../budgets/replies'
import { openAIBudgetMisconfigured, openAIBudgetRefusal } from './chat/budget-errors'

/**
 * The token budget around one chat request, for every route: reserve before the upstream request
 * (the granted output ceiling becomes the request's output limit), settle when the answer ends, and
 * show what remains in `X-Budget-Remaining` / `X-Budget-Reset`.
 *
 * @example
 * const reserved = await reserveForRequest(c, request, 'gateway')
 * if (reserved instanceof Response) return reserved
 * if (reserved.ticket) settleWhenDone(c, generation, reserved.ticket)
 * return withBudgetHeaders(response, reserved.ticket)
 */

/** The input estimate of a canonical request: the client's own body when it is sent as it is, else its parts. */
export function estimateRequest(request: CanonicalRequest): number {
  if (request.passthrough) return estimateChatCompletionInput(request.passthrough.body)
  const texts: string[] = []
  let media = 0
  for (const message of request.messages) {
    for (const part of message.parts) {
      if (part.type === 'text' || part.type === 'reasoning') texts.push(part.text)
      else if (part.type === 'file') {
        texts.push(part.data)
        media++
      } else if (part.type === 'tool-call') texts.push(part.name, part.input)
      else texts.push(part.output)
    }
  }
  for (const tool of request.tools ?? []) texts.push(JSON.stringify(tool))
  return estimateInputTokens(texts, {
    messages: request.messages.length,
    tools: request.tools?.length ?? 0,
    media,
  })
}

export async function reserveForRequest(
  c: Context<AppEnv>,
  request: CanonicalRequest,
  shape: 'gateway' | 'openai',
): Promise<{ ticket?: BudgetTicket } | Response> {
  const { tokenBudget, tokenBudgetError } = c.get('config')
  // No TOKEN_BUDGET: nothing to estimate or reserve (reserveBudget would answer `off`).
  if (!tokenBudget && !tokenBudgetError) return {}
  const check = await reserveBudget(c, {
    input: estimateRequest(request),
    ...(request.maxOutputTokens !== undefined ? { wantedOutput: request.maxOutputTokens } : {}),
  })
  switch (check.kind) {
    case 'off':
      return {}
    case 'misconfigured':
      return shape === 'openai' ? openAIBudgetMisconfigured(c, check.message) : budgetMisconfigured(c, check.message)
    case 'refused':
      return shape === 'openai' ? openAIBudgetRefusal(c, check.refusal) : budgetRefusal(c, check.refusal)
    case 'granted':
      request.maxOutputTokens = check.ticket.output
      c.get('record').set({ budget: { reserved: check.ticket.input + check.ticket.output } })
      return { ticket: check.ticket }
  }
}

/** Settles the ticket when the generation ends, with this request's bindings. */
export function settleWhenDone(c: Context<AppEnv>, generation: Generation, ticket: BudgetTicket): void {
  holdBudget(generation, ticket, c.get('record'), (spent) =>
    waitUntil(c, settleBudget(c.env ?? {}, ticket, spent, c.get('budgetLedger'))),
  )
}

/** The response with the budget headers, when a budget applies. */
export function withBudgetHeaders(response: Response, ticket: BudgetTicket | undefined): Response {
  if (!ticket) return response
  const out = new Response(response.body, response)
  for (const [name, value] of Object.entries(budgetHeaders(ticket))) out.headers.set(name, value)
  return out
}
