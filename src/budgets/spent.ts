import { utf8Length } from './estimate'

/**
 * What a reservation settles to. With the provider's usage, its figures; without them (an error, a
 * timeout, a client gone before the usage arrived) an upper estimate: the input estimate plus the
 * UTF-8 bytes of the text sent (each output token is at least one byte, as for the input), or the
 * whole output ceiling when hidden reasoning may have been generated (it shows in no text), capped at
 * the reservation (the provider's output limit caps the output).
 *
 * @example
 * tokensFromUsage({ prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 }) // 16
 * upperSpent({ input: 120, output: 300 }, { textSent: ['Xin chào'] })        // 120 + 9 = 129
 * upperSpent({ input: 120, output: 300 }, { hiddenReasoning: true })        // 420
 */

/** The usage fields a provider reports (the gateway's normalised Usage). */
export interface UsageFigures {
  prompt_tokens?: number
  completion_tokens?: number
  total_tokens?: number
  reasoning_tokens?: number
}

const count = (value: number | undefined) => (typeof value === 'number' && value > 0 ? value : 0)

/**
 * Input plus output tokens: `total_tokens` when the provider gave it; else prompt + completion +
 * reasoning (counting reasoning twice where completion already holds it, as OpenAI's does: too high,
 * never too low). `undefined` when there are no figures at all.
 */
export function tokensFromUsage(usage: UsageFigures | undefined): number | undefined {
  if (!usage) return undefined
  if (typeof usage.total_tokens === 'number' && usage.total_tokens >= 0) return usage.total_tokens
  const sum = count(usage.prompt_tokens) + count(usage.completion_tokens) + count(usage.reasoning_tokens)
  const any = [usage.prompt_tokens, usage.completion_tokens, usage.reasoning_tokens].some((v) => typeof v === 'number')
  return any ? sum : undefined
}

export interface SpentEvidence {
  /** The provider's usage so far (Gemini repeats its cumulative usage; OpenAI sends it at the end). */
  usage?: UsageFigures
  /** Everything the model generated that shows: text pieces (sent to the client or not), tool-call names and arguments. */
  textSent?: readonly string[]
  /** The model may have reasoned without showing it (a thinking model): the text bounds nothing then. */
  hiddenReasoning?: boolean
}

/**
 * An upper estimate of what a request that did not end normally spent: the larger of the usage
 * reported so far (charged in full, even past the reservation) and the input estimate plus the
 * bytes of what was generated (capped at the reservation).
 */
export function upperSpent(reservation: { input: number; output: number }, evidence: SpentEvidence = {}): number {
  const ceiling = reservation.input + reservation.output
  const reported = tokensFromUsage(evidence.usage) ?? 0
  let textBytes = 0
  for (const piece of evidence.textSent ?? []) textBytes += utf8Length(piece)
  const fromText = evidence.hiddenReasoning ? ceiling : reservation.input + textBytes
  return Math.max(reported, Math.min(ceiling, fromText))
}
