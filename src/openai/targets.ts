import type { ProviderName } from '../env'
import { missingKeyError } from '../providers/errors'
import type { Attempt } from './attempts'
import type { CompletionContext } from './completion-context'
import type { ParamIssue } from './errors'
import { toGeminiRequest } from './gemini-request'
import type { ModelRoute } from './models'
import { callGemini, callOpenAI } from './provider-calls'

/**
 * What a chat completion may try, in order: the model the request names, then (unless the request
 * says `"fallback": false`) each `FALLBACK` entry that names another model of a provider with an
 * API key, as on the gateway's other chat routes. A Gemini target carries the request translated
 * once; a fallback entry Gemini cannot honour the request on (`n` > 1, say) is left out, while the
 * same for the requested model is the caller's 400.
 *
 * @example
 * const planned = completionTargets(body, { provider: 'gemini', model: 'gemini-2.5-flash' }, context, true)
 * if ('issues' in planned) return invalidParams(planned.issues)
 */

type Json = Record<string, unknown>

export interface CompletionTarget extends ModelRoute {
  run: (attempt: Attempt) => Promise<Response>
}

function target(body: Json, route: ModelRoute, context: CompletionContext): CompletionTarget | ParamIssue[] {
  if (context.config[route.provider].apiKey === undefined) {
    return {
      ...route,
      run: () => Promise.reject(missingKeyError(route.provider)),
    }
  }
  if (route.provider === 'openai') return { ...route, run: (attempt) => callOpenAI(body, route, context, attempt) }
  const translated = toGeminiRequest(body, route.model)
  if (!translated.ok) return translated.issues
  const request = JSON.stringify(translated.request)
  return { ...route, run: (attempt) => callGemini(body, request, route, context, attempt) }
}

export function completionTargets(
  body: Json,
  requested: ModelRoute,
  context: CompletionContext,
  fallback: boolean,
): { targets: CompletionTarget[] } | { issues: ParamIssue[] } {
  const first = target(body, requested, context)
  if (Array.isArray(first)) return { issues: first }
  const targets = [first]
  if (!fallback) return { targets }
  const { config } = context
  for (const entry of config.fallback) {
    const provider: ProviderName = entry.provider
    const model = entry.model ?? config[provider].model
    if (config[provider].apiKey === undefined) continue
    if (targets.some((known) => known.provider === provider && known.model === model)) continue
    const next = target(body, { provider, model }, context)
    if (!Array.isArray(next)) targets.push(next)
  }
  return { targets }
}
