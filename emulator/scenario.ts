/**
 * Scenario controls: how the emulator answers one request (timing, length, faults).
 *
 * Three places, merged in this order (later wins): the emulator's defaults, the
 * `x-emulator-scenario` header, a `~...` suffix on the model name, `[emu ...]` tags in the
 * last user message. Syntax: space- or comma-separated `key=value` pairs or bare words; in a
 * model name also `@emu:key-value:key-value` (characters most model-name checks allow).
 *
 * @example
 * parseScenario('Hi [emu fault=drop after=3 ttft=200 delay=20 chunks=12]')
 * // { fault: 'drop', after: 3, ttft: 200, delay: 20, chunks: 12 }
 * parseScenario('', 'gpt-4o-mini~fault=429')            // { fault: '429' }
 * parseScenario('', 'gemini-2.5-flash@emu:drop:after-2') // { fault: 'drop', after: 2 }
 * parseScenario('Hi [emu fail=2 status=503 retry_after=1]') // { fail: 2, fault: '503', retryAfter: 1 }
 */

export interface Scenario {
  /** Error status (`400`..`503`), alias (`badkey`, `nokey`, `quota`, `overloaded`) or stream fault. */
  fault?: string
  /** Content pieces sent before a mid-stream fault. */
  after?: number
  /** Milliseconds before the response starts (headers + first event). */
  ttft?: number
  /** Milliseconds between events. */
  delay?: number
  /** Exact number of content pieces. */
  chunks?: number
  /** Answer length in sentences. */
  sentences?: number
  /** Gemini: thought-summary parts sent before the answer. */
  thoughts?: number
  /** Write every multi-byte character that starts an event write in two socket writes. */
  split?: boolean
  /** Milliseconds between the two halves of a split character (default 15). */
  splitDelay?: number
  /** Only the first N requests of this prompt (per provider) fail; later ones answer normally. See {@link forAttempt}. */
  fail?: number
  /** Seconds sent as `Retry-After` with an error reply (and as Gemini's `RetryInfo` on a 429). */
  retryAfter?: number
  /** Milliseconds of silence after the headers (and OpenAI's role chunk), before the first content piece. */
  hold?: number
  /** Gemini: call this declared function instead of answering (see tools.ts). */
  call?: string
}

export const STREAM_FAULTS = [
  'drop',
  'malformed',
  'stall',
  'midstream',
  'blocked',
  'safety',
  'refusal',
  'length',
] as const
/** Stream faults that stop the answer after `after` pieces. */
export const CUTTING_FAULTS: readonly string[] = ['drop', 'malformed', 'stall', 'midstream', 'safety', 'length']

export const STATUS_FAULTS = [
  '400',
  '401',
  '403',
  '404',
  '429',
  '500',
  '503',
  'badkey',
  'nokey',
  'quota',
  'overloaded',
] as const

const TAG = /\[emu(?:[\s,]([^\]]*))?\]/gi
const NUMERIC = ['after', 'ttft', 'delay', 'chunks', 'sentences', 'thoughts', 'splitdelay', 'fail', 'hold'] as const
/** Keys whose spelling differs from the field. */
const RENAMED: Record<string, 'splitDelay' | 'retryAfter'> = {
  splitdelay: 'splitDelay',
  retry_after: 'retryAfter',
  retryafter: 'retryAfter',
}

const KEY_DASH =
  /^(fault|after|ttft|delay|chunks|sentences|thoughts|split|splitdelay|fail|status|hold|retry_after|retryafter|call)-(.+)$/i

/**
 * Parses one control string (`fault=drop after=3`, `429`, `split`). `key-value` is accepted too
 * (for model names, where `=` is often not allowed). Unknown keys are ignored.
 */
export function parseControls(text: string): Scenario {
  const out: Scenario = {}
  for (const raw of text.split(/[\s,;&:]+/).filter(Boolean)) {
    const dash = raw.includes('=') ? null : KEY_DASH.exec(raw)
    const token = dash ? `${dash[1]}=${dash[2]}` : raw
    const eq = token.indexOf('=')
    const key = (eq < 0 ? token : token.slice(0, eq)).toLowerCase()
    const value = eq < 0 ? '' : token.slice(eq + 1)
    if (eq < 0) {
      if (key === 'split' || key === 'splitutf8') out.split = true
      else if ((STREAM_FAULTS as readonly string[]).includes(key) || (STATUS_FAULTS as readonly string[]).includes(key))
        out.fault = key
      continue
    }
    if (key === 'fault' || key === 'status') out.fault = value.toLowerCase()
    else if (key === 'call') out.call = value
    else if (key === 'split') out.split = !['0', 'false', 'no', 'off'].includes(value.toLowerCase())
    else if ((NUMERIC as readonly string[]).includes(key) || key in RENAMED) {
      const n = Number(value)
      if (Number.isFinite(n) && n >= 0) {
        const renamed = RENAMED[key]
        if (renamed) out[renamed] = n
        else out[key as Exclude<(typeof NUMERIC)[number], 'splitdelay'>] = n
      }
    }
  }
  return out
}

/** Where a model name's controls start: `gpt-4o-mini~fault=429` or `gpt-4o-mini@emu:fault-429:after-3`. */
const MODEL_MARK = /~|@emu\b[:.]?/i

/** The merged scenario of a header, a model suffix and the `[emu ...]` tags of a prompt (later wins). */
export function parseScenario(prompt: string, model?: string, header?: string): Scenario {
  let merged: Scenario = {}
  if (header) merged = { ...merged, ...parseControls(header) }
  const mark = model ? MODEL_MARK.exec(model) : null
  if (model && mark) merged = { ...merged, ...parseControls(model.slice(mark.index + mark[0].length)) }
  for (const match of prompt.matchAll(TAG)) merged = { ...merged, ...parseControls(match[1] ?? '') }
  return merged
}

/**
 * The scenario for the `attempt`-th request (1-based) of a prompt: with `fail=N`, requests 1..N get the
 * failing controls (`fault`/`status`, default a 503; `retry_after`; `hold`) and later ones answer
 * normally. Without `fail`, every request gets the scenario as written.
 *
 * @example
 * forAttempt(parseControls('fail=2 status=429 retry_after=1'), 3) // { fail: 2 }: answers normally
 */
export function forAttempt(scenario: Scenario, attempt: number): Scenario {
  if (scenario.fail === undefined) return scenario
  if (attempt <= scenario.fail) return scenario.fault || scenario.hold ? scenario : { ...scenario, fault: '503' }
  const { fault: _fault, retryAfter: _retryAfter, hold: _hold, ...rest } = scenario
  return rest
}

/**
 * The request's output limit as a model keeps it: an answer of more pieces than `limit` (`max_tokens`,
 * `max_completion_tokens`, Gemini's `maxOutputTokens`; each piece counts as one token in the usage)
 * stops after `limit` pieces with the `length` finish (`MAX_TOKENS` on Gemini). A written fault wins.
 *
 * @example
 * withOutputLimit({}, 107, 20)   // { fault: 'length', after: 20 }
 * withOutputLimit({}, 107, 500)  // {}
 */
export function withOutputLimit(scenario: Scenario, pieces: number, limit: unknown): Scenario {
  if (scenario.fault || typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit >= pieces) {
    return scenario
  }
  return { ...scenario, fault: 'length', after: limit }
}

/** The prompt with its `[emu ...]` tags removed and outer whitespace trimmed. */
export function stripTags(prompt: string): string {
  return prompt.replace(/\s*\[emu(?:[\s,][^\]]*)?\]\s*/gi, ' ').trim()
}

/** The model name without its `~controls` / `@emu:controls` suffix. */
export function baseModel(model: string): string {
  const mark = MODEL_MARK.exec(model)
  return mark ? model.slice(0, mark.index) : model
}

/** A compact text form for logs: `fault=drop after=3`. */
export function formatScenario(s: Scenario): string {
  return Object.entries(s)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => (v === true ? k : `${k}=${v}`))
    .join(' ')
}
