/**
 * Scenario controls: how the emulator answers one request (timing, length, faults).
 *
 * Three places, merged in this order (later wins): the emulator's defaults, the
 * `x-emulator-scenario` header, a `~...` suffix on the model name, `[emu ...]` tags in the
 * last user message. Syntax: space- or comma-separated `key=value` pairs or bare words.
 *
 * @example
 * parseScenario('Hi [emu fault=drop after=3 ttft=200 delay=20 chunks=12]')
 * // { fault: 'drop', after: 3, ttft: 200, delay: 20, chunks: 12 }
 * parseScenario('', 'gpt-4o-mini~fault=429')   // { fault: '429' }
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
}

export const STREAM_FAULTS = ['drop', 'malformed', 'stall', 'midstream', 'blocked', 'safety', 'refusal', 'length'] as const
export const STATUS_FAULTS = ['400', '401', '403', '404', '429', '500', '503', 'badkey', 'nokey', 'quota', 'overloaded'] as const

const TAG = /\[emu(?:[\s,]([^\]]*))?\]/gi
const NUMERIC = ['after', 'ttft', 'delay', 'chunks', 'sentences', 'thoughts', 'splitdelay'] as const

/** Parses one control string (`fault=drop after=3`, `429`, `split`). Unknown keys are ignored. */
export function parseControls(text: string): Scenario {
  const out: Scenario = {}
  for (const token of text.split(/[\s,;&]+/).filter(Boolean)) {
    const eq = token.indexOf('=')
    const key = (eq < 0 ? token : token.slice(0, eq)).toLowerCase()
    const value = eq < 0 ? '' : token.slice(eq + 1)
    if (eq < 0) {
      if (key === 'split' || key === 'splitutf8') out.split = true
      else if ((STREAM_FAULTS as readonly string[]).includes(key) || (STATUS_FAULTS as readonly string[]).includes(key)) out.fault = key
      continue
    }
    if (key === 'fault') out.fault = value.toLowerCase()
    else if (key === 'split') out.split = !['0', 'false', 'no', 'off'].includes(value.toLowerCase())
    else if ((NUMERIC as readonly string[]).includes(key)) {
      const n = Number(value)
      if (Number.isFinite(n) && n >= 0) {
        if (key === 'splitdelay') out.splitDelay = n
        else out[key as Exclude<(typeof NUMERIC)[number], 'splitdelay'>] = n
      }
    }
  }
  return out
}

/** The scenario written as `[emu ...]` tags inside a prompt (all tags merged). */
export function parseScenario(prompt: string, model?: string, header?: string): Scenario {
  let merged: Scenario = {}
  if (header) merged = { ...merged, ...parseControls(header) }
  const tilde = model?.indexOf('~') ?? -1
  if (model && tilde >= 0) merged = { ...merged, ...parseControls(model.slice(tilde + 1)) }
  for (const match of prompt.matchAll(TAG)) merged = { ...merged, ...parseControls(match[1] ?? '') }
  return merged
}

/** The prompt with its `[emu ...]` tags removed and outer whitespace trimmed. */
export function stripTags(prompt: string): string {
  return prompt.replace(/\s*\[emu(?:[\s,][^\]]*)?\]\s*/gi, ' ').trim()
}

/** The model name without its `~controls` suffix. */
export function baseModel(model: string): string {
  const tilde = model.indexOf('~')
  return tilde >= 0 ? model.slice(0, tilde) : model
}

/** A compact text form for logs: `fault=drop after=3`. */
export function formatScenario(s: Scenario): string {
  return Object.entries(s)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => (v === true ? k : `${k}=${v}`))
    .join(' ')
}
