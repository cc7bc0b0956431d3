import { DEFAULT_ECHO, type ResponseEcho } from './echo'
import { newResponseId } from './ids'
import type { Json } from './json'
import type { ResponseFrame } from './response-object'

/**
 * What a Responses renderer needs besides the parts: the response's id and creation time, the
 * model, the request settings it repeats, and how to show reasoning and custom tool calls. Plain
 * JSON but for the clock, so a resumable stream can carry it; the parser's `ResponsesOptions` fit:
 * `{ ...parsed.options, model }`.
 *
 * @example
 * const options: ResponsesRenderOptions = { ...parsed.options, model: 'gemini-2.5-flash', id: responseId }
 */
export interface ResponsesRenderOptions {
  /** The model the lifecycle events name until the provider names its own. */
  model: string
  /** The response id (`resp_…`); a new one by default. */
  id?: string
  /** Unix seconds; now by default. */
  createdAt?: number
  echo?: ResponseEcho
  /** Show the model's reasoning as reasoning summary events (`reasoning.summary` was asked). */
  reasoningSummary?: boolean
  /** Names of the custom tools, whose calls arrive as `{"input": …}` function arguments. */
  customTools?: readonly string[]
  /**
   * The conversation so far to keep with the answer (`store` not false): the earlier turns' items
   * and this request's input items. {@link ResponsesStreamRenderer.state} adds the output items
   * once the answer ended, for the next request's `previous_response_id`.
   */
  conversation?: readonly unknown[]
  /** The clock, in milliseconds (for `created_at` and `completed_at`); tests fix it. */
  now?: () => number
}

/** What the Responses renderers keep where the answer runs (a stream host's `state`). */
export interface ResponsesState {
  /** The Response object as it stands. */
  response: Json
  /** Input and output items of every turn so far, once the answer ended (when it is kept). */
  conversation?: unknown[]
}

export interface ResolvedOptions {
  frame: ResponseFrame
  summary: boolean
  customTools: ReadonlySet<string>
  now: () => number
}

export function resolveOptions(options: ResponsesRenderOptions): ResolvedOptions {
  const now = options.now ?? Date.now
  return {
    frame: {
      id: options.id ?? newResponseId(),
      createdAt: options.createdAt ?? Math.floor(now() / 1000),
      model: options.model,
      echo: options.echo ?? DEFAULT_ECHO,
    },
    summary: options.reasoningSummary === true,
    customTools: new Set(options.customTools ?? []),
    now,
  }
}

/** The terminal status and reason for a finish reason. */
export function terminalOf(finish: string): { status: 'completed' | 'incomplete'; reason?: string } {
  if (finish === 'length') return { status: 'incomplete', reason: 'max_output_tokens' }
  if (finish === 'content-filter') return { status: 'incomplete', reason: 'content_filter' }
  return { status: 'completed' }
}
