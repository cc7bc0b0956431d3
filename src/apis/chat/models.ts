import { isProviderName, type GatewayConfig, type ProviderName } from '../../env'
import type { RequestRecord } from '../../observability/request-record'
import { invalidParams, modelNotFound } from '../../renderers/chat/errors'

/**
 * Which provider answers a model name: `gpt-…`, `o1…`/`o3…`/`o4…`, `chatgpt-…` go to OpenAI,
 * `gemini-…` to Gemini, and `openai/<model>` or `gemini/<model>` say it explicitly.
 *
 * @example
 * routeModel('gpt-4.1-mini')          // { provider: 'openai', model: 'gpt-4.1-mini' }
 * routeModel('gemini/gemini-2.5-pro') // { provider: 'gemini', model: 'gemini-2.5-pro' }
 * routeModel('claude-3')              // undefined: OpenAI's 404 model_not_found
 */

export interface ModelRoute {
  provider: ProviderName
  /** The name sent upstream (without an explicit `provider/` prefix). */
  model: string
}

const OPENAI_MODEL = /^(gpt-|chatgpt-|o\d)/
const GEMINI_MODEL = /^gemini-/
/** What may go upstream (the Gemini model is part of the URL path): no `/`, no `..`. */
const MODEL_NAME = /^(?!.*\.\.)[A-Za-z0-9][\w.:@~=,+-]{0,199}$/

export function routeModel(name: string): ModelRoute | undefined {
  const slash = name.indexOf('/')
  if (slash >= 0) {
    const provider = name.slice(0, slash)
    const model = name.slice(slash + 1)
    return isProviderName(provider) && MODEL_NAME.test(model) ? { provider, model } : undefined
  }
  if (!MODEL_NAME.test(name)) return undefined
  if (OPENAI_MODEL.test(name)) return { provider: 'openai', model: name }
  if (GEMINI_MODEL.test(name)) return { provider: 'gemini', model: name }
  return undefined
}

/**
 * The `model` of an OpenAI-shaped body: its route, recorded on the request's log line, or the reply
 * that refuses it (400 when missing, OpenAI's 404 `model_not_found` when no provider serves it).
 */
export function requestedModel(body: Record<string, unknown>, record: RequestRecord): ModelRoute | Response {
  if (typeof body.model !== 'string' || body.model === '') {
    return invalidParams([
      { param: 'model', message: 'is required (a model name such as "gemini-2.5-flash" or "gpt-4.1-mini")' },
    ])
  }
  const route = routeModel(body.model)
  if (!route) return modelNotFound(body.model)
  record.set({ provider: route.provider, model: route.model })
  return route
}

export interface ModelEntry {
  id: string
  object: 'model'
  created: number
  owned_by: string
}

const OWNER: Record<ProviderName, string> = { openai: 'openai', gemini: 'google' }

/**
 * The configured model of every provider that has a key, as `GET /v1/models` lists them. A model
 * name that the prefixes would not route (e.g. a fine-tune) is listed as `provider/model`.
 */
export function listModels(config: GatewayConfig): ModelEntry[] {
  const entries: ModelEntry[] = []
  for (const provider of ['openai', 'gemini'] as const) {
    const settings = config[provider]
    if (settings.apiKey === undefined) continue
    const plain = routeModel(settings.model)?.provider === provider
    entries.push({
      id: plain ? settings.model : `${provider}/${settings.model}`,
      object: 'model',
      created: 0,
      owned_by: OWNER[provider],
    })
  }
  return entries
}
