import { checkMaxTokens, checkModel, type ModelPolicy } from '../access/model-policy'
import type { ModelRoute } from './models'
import type { ParamIssue } from './errors'

/**
 * The gateway's policy on a chat completion, as on the other chat routes: ALLOWED_MODELS,
 * MAX_OUTPUT_TOKENS (over the cap is a 400 naming the field the caller used; a request without
 * `max_tokens`/`max_completion_tokens` is sent with `max_completion_tokens` set to the cap) and
 * MAX_INPUT_CHARS (the text of all messages together).
 *
 * @example
 * const checked = applyPolicy(body, route, { policy, defaultModel: 'gemini-2.5-flash', maxInputChars: 32_000 })
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

export function applyPolicy(
  body: Json,
  route: ModelRoute,
  settings: PolicySettings,
): { body: Json } | { issues: ParamIssue[] } {
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
  const field = body.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens'
  const requested = body[field]
  const tokens = checkMaxTokens(settings.policy, typeof requested === 'number' ? requested : undefined)
  if (tokens) return { issues: [{ param: field, message: tokens.message }] }
  const cap = settings.policy.maxOutputTokens
  if (cap !== undefined && body.max_tokens == null && body.max_completion_tokens == null) {
    return { body: { ...body, max_completion_tokens: cap } }
  }
  return { body }
}
