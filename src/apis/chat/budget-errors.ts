import type { Context } from 'hono'
import type { AppEnv } from '../../app-env'
import type { BudgetRefusal } from '../../budgets/gate'
import { budgetRefusalHeaders, budgetRefusalMessage, MISCONFIGURED_MESSAGE } from '../../budgets/replies'
import { errorBody } from '../../renderers/chat/errors'

/**
 * The token budget's refusals on `/v1`, in OpenAI's error shape so that the openai SDKs raise
 * RateLimitError (429, code `budget_exceeded`, `Retry-After` = seconds to the window's reset) and
 * InternalServerError (503) for a misconfigured budget.
 *
 * @example
 * if (check.kind === 'refused') return openAIBudgetRefusal(c, check.refusal)
 * // 429 {"error":{"message":"budget: …","type":"tokens","param":null,"code":"budget_exceeded"},"request_id":"…"}
 */
export function openAIBudgetRefusal(c: Context<AppEnv>, refusal: BudgetRefusal): Response {
  const body = errorBody(budgetRefusalMessage(refusal), 429, { type: 'tokens', code: 'budget_exceeded' })
  return c.json({ ...body, request_id: c.get('record').requestId }, 429, budgetRefusalHeaders(refusal))
}

export function openAIBudgetMisconfigured(c: Context<AppEnv>, detail: string): Response {
  c.get('record').set({ budget_error: detail })
  const body = errorBody(MISCONFIGURED_MESSAGE, 503, { code: 'budget_misconfigured' })
  return c.json({ ...body, request_id: c.get('record').requestId }, 503, { 'x-should-retry': 'false' })
}
