import { checkMaxTokens, checkModel } from '../../access/model-policy'
import type { CanonicalRequest } from '../../canonical/request'
import type { ParamIssue } from '../../renderers/chat/errors'
import type { ModelRoute } from '../chat/models'
import type { PolicySettings } from '../chat/policy'
import type { Json } from '../../renderers/responses/json'

/**
 * The gateway's policy on a `POST /v1/responses`, as on chat completions: ALLOWED_MODELS,
 * MAX_OUTPUT_TOKENS on `max_output_tokens` (over the cap is a 400 naming it; without it the cap is
 * sent), the operator's price tier (`service_tier`), and MAX_INPUT_CHARS on the text of the whole
 * conversation as it goes upstream (instructions, input and the earlier turns the gateway prepends).
 *
 * @example
 * const checked = checkResponsesPolicy(body, route, { policy, defaultModel: 'gemini-2.5-flash', maxInputChars: 32_000 })
 * if ('issues' in checked) return invalidParams(checked.issues)
 */
export function checkResponsesPolicy(
  body: Json,
  route: ModelRoute,
  settings: PolicySettings,
): { maxOutputTokens: number | undefined } | { issues: ParamIssue[] } {
  const model = checkModel(settings.policy, route.provider, route.model, settings.defaultModel)
  if (model) return { issues: [{ param: 'model', message: `${JSON.stringify(route.model)} ${model.message}` }] }
  const issues: ParamIssue[] = []
  const requested = typeof body.max_output_tokens === 'number' ? body.max_output_tokens : undefined
  const tokens = checkMaxTokens(settings.policy, requested)
  if (tokens) issues.push({ param: 'max_output_tokens', message: tokens.message })
  if (body.service_tier != null && body.service_tier !== 'auto' && body.service_tier !== 'default')
    issues.push({
      param: 'service_tier',
      message: 'must be "auto" or "default" on this gateway (the price tier is the operator\'s choice)',
    })
  if (issues.length > 0) return { issues }
  return { maxOutputTokens: requested ?? settings.policy.maxOutputTokens }
}

/** The characters of the conversation's text: every text part and tool output. */
function conversationChars(request: CanonicalRequest): number {
  let total = 0
  for (const message of request.messages) {
    for (const part of message.parts) {
      if (part.type === 'text') total += part.text.length
      else if (part.type === 'tool-result') total += part.output.length
    }
  }
  return total
}

/** MAX_INPUT_CHARS: the issue when the conversation's text is longer. */
export function checkInputChars(request: CanonicalRequest, maxInputChars: number): ParamIssue | undefined {
  const chars = conversationChars(request)
  if (chars <= maxInputChars) return undefined
  return {
    param: 'input',
    message: `the conversation's text (instructions, input and earlier turns) must be at most ${maxInputChars} characters on this gateway (got ${chars}; MAX_INPUT_CHARS)`,
  }
}
