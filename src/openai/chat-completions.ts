import { runAttempts } from './attempts'
import type { CompletionContext } from './completion-context'
import { invalidParams, modelNotFound, type ParamIssue } from './errors'
import { routeModel } from './models'
import { applyPolicy } from './policy'
import { completionTargets } from './targets'

export type { CompletionContext } from './completion-context'

/**
 * `POST /v1/chat/completions`: the model picks the provider. OpenAI gets the request as it came
 * (only `model` rewritten, and the MAX_OUTPUT_TOKENS cap added when the caller set none) and its
 * answer goes back as it is; Gemini gets the request translated and its answer translated back,
 * streamed or whole. Retries, `FALLBACK` (the gateway's own `"fallback": false` opts out) and
 * timeouts: {@link runAttempts}.
 *
 * @example
 * const response = await chatCompletions({ model: 'gemini-2.5-flash', messages, stream: true }, { config, policy, record, fetch, signal })
 */

type Json = Record<string, unknown>

/** `stream`, `stream_options` and the gateway's own `fallback`. */
function checkOptions(body: Json): ParamIssue[] {
  const issues: ParamIssue[] = []
  if (body.fallback != null && typeof body.fallback !== 'boolean')
    issues.push({ param: 'fallback', message: 'must be a boolean (false: never answer with a FALLBACK model)' })
  if (body.stream != null && typeof body.stream !== 'boolean')
    issues.push({ param: 'stream', message: 'must be a boolean' })
  const options = body.stream_options
  if (options != null) {
    if (body.stream !== true) issues.push({ param: 'stream_options', message: "is only allowed when 'stream' is true" })
    else if (typeof options !== 'object' || Array.isArray(options))
      issues.push({ param: 'stream_options', message: 'must be an object' })
    else {
      const usage = (options as Json).include_usage
      if (usage != null && typeof usage !== 'boolean')
        issues.push({ param: 'stream_options.include_usage', message: 'must be a boolean' })
    }
  }
  return issues
}

export async function chatCompletions(input: Json, context: CompletionContext): Promise<Response> {
  const { config, record } = context
  if (typeof input.model !== 'string' || input.model === '') {
    return invalidParams([
      { param: 'model', message: 'is required (a model name such as "gemini-2.5-flash" or "gpt-4.1-mini")' },
    ])
  }
  const route = routeModel(input.model)
  if (!route) return modelNotFound(input.model)
  record.set({ provider: route.provider, model: route.model })
  const options = checkOptions(input)
  if (options.length > 0) return invalidParams(options)
  // `fallback` is the gateway's: no provider gets it.
  const { fallback, ...request } = input
  const checked = applyPolicy(request, route, {
    policy: context.policy,
    defaultModel: config[route.provider].model,
    maxInputChars: config.maxInputChars,
  })
  if ('issues' in checked) return invalidParams(checked.issues)
  const planned = completionTargets(checked.body, route, context, fallback !== false)
  if ('issues' in planned) return invalidParams(planned.issues)
  return runAttempts(planned.targets, { stream: checked.body.stream === true, config, record, signal: context.signal })
}
