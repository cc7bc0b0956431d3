import { checkMaxTokens, checkModel, type ModelPolicy } from '../../access/model-policy'
import type { ModelRoute } from './models'
import type { ParamIssue } from '../../renderers/chat/errors'

/**
 * The gateway's policy on a chat completion, as on the other chat routes: MAX_INPUT_CHARS (the text
 * of all messages together), ALLOWED_MODELS, MAX_OUTPUT_TOKENS (each of `max_tokens` and
 * `max_completion_tokens` over the cap is a 400 naming it; without either the cap is sent), one
 * choice (`n` > 1 multiplies the output) and the operator's price tier (`service_tier`).
 *
 * @example
 * const checked = checkPolicy(body, route, { policy, defaultModel: 'gemini-2.5-flash', maxInputChars: 32_000 })
 * if ('issues' in checked) return invalidParams(checked.issues)
 */

type Json = Record<string, unknown>

export interface PolicySettings {
  policy: ModelPolicy
  /** The provider's configured model (always allowed). */
  defaultModel: string
  maxInputChars: number
}

/** The characters of every message's text: string contents and the `text` of content parts. */
export function inputChars(messages: unknown): number {
  if (!Array.isArray(messages)) return 0
  let total = 0
  for (const message of messages) {
    const content = (message as Json | null)?.content
    if (typeof content === 'string') total += content.length
    else if (Array.isArray(content)) {
      for (const part of content) {
        const text = (part as Json | null)?.text
        if (typeof text === 'string') total += text.length
      }
    }
  }
  return total
}

export function checkPolicy(
  body: Json,
  route: ModelRoute,
  settings: PolicySettings,
): { maxOutputTokens: number | undefined } | { issues: ParamIssue[] } {
  const chars = inputChars(body.messages)
  if (chars > settings.maxInputChars) {
    return {
      issues: [
        {
          param: 'messages',
          message: `the messages' text must be at most ${settings.maxInputChars} characters on this gateway (got ${chars}; MAX_INPUT_CHARS)`,
        },
      ],
    }
  }
  const model = checkModel(settings.policy, route.provider, route.model, settings.defaultModel)
  if (model) return { issues: [{ param: 'model', message: `${JSON.stringify(route.model)} ${model.message}` }] }
  const issues: ParamIssue[] = []
  for (const field of ['max_completion_tokens', 'max_tokens'] as const) {
    const requested = body[field]
    const tokens = checkMaxTokens(settings.policy, typeof requested === 'number' ? requested : undefined)
    if (tokens) issues.push({ param: field, message: tokens.message })
  }
  if (body.n != null && body.n !== 1)
    issues.push({ param: 'n', message: 'must be 1 on this gateway (each choice would be a whole answer more)' })
  if (body.service_tier != null && body.service_tier !== 'auto' && body.service_tier !== 'default')
    issues.push({
      param: 'service_tier',
      message: 'must be "auto" or "default" on this gateway (the price tier is the operator\'s choice)',
    })
  if (issues.length > 0) return { issues }
  const requested = body.max_completion_tokens ?? body.max_tokens
  return { maxOutputTokens: typeof requested === 'number' ? requested : settings.policy.maxOutputTokens }
}
