import type { Generation } from '../engine/generation'
import type { AnsweredAttempt } from '../engine/generation-types'
import type { RequestRecord } from '../observability/request-record'
import type { BudgetTicket } from './ticket'

/**
 * What an answer spent, for its reservation to settle to, and the hook that settles it when the
 * answer ends (well, failed, stopped or left). Per upstream request that was answered: the usage the
 * provider reported for an answer that ended well; otherwise the larger of the usage reported so far
 * and the input estimate plus an upper bound of what showed (text, reasoning, tool input), capped at
 * the reservation, or the whole reservation when the model may have reasoned unseen and reported
 * nothing. A request the provider refused (no 2xx) spent nothing.
 *
 * @example
 * holdBudget(generation, ticket, record, (spent) => ctx.waitUntil(settleBudget(env, ticket, spent)))
 */

/** Models that may think without showing it: with no usage reported, their text bounds nothing. */
const HIDDEN_REASONING = /^(gemini-(2\.5|[3-9])|o\d|gpt-5)/

function attemptSpent(attempt: AnsweredAttempt, ticket: BudgetTicket, endedWell: boolean): number {
  const reported = attempt.usage?.totalTokens
  if (endedWell && reported !== undefined) return reported
  const ceiling = ticket.input + ticket.output
  if (reported === undefined && HIDDEN_REASONING.test(attempt.model)) return ceiling
  return Math.max(reported ?? 0, Math.min(ceiling, ticket.input + attempt.generated))
}

export function spentBy(generation: Generation, ticket: BudgetTicket): number {
  const { answered } = generation
  let spent = 0
  answered.forEach((attempt, index) => {
    spent += attemptSpent(attempt, ticket, generation.succeeded === true && index === answered.length - 1)
  })
  return spent
}

/**
 * What another upstream request may generate after a failed one, within the reservation: what the
 * reservation still holds once the attempts so far (at their upper estimates) and the new request's
 * input are counted. Below 1: no retry or fallback, the answer fails instead of overspending.
 */
export function outputLeft(generation: Generation, ticket: BudgetTicket): number {
  return ticket.output - spentBy(generation, ticket)
}

/**
 * Settles the reservation when the answer ends; its figures go to the log line and the closing event.
 * A retry or a fallback gets only the output the reservation still holds.
 */
export function holdBudget(
  generation: Generation,
  ticket: BudgetTicket,
  record: RequestRecord,
  settle: (spent: number) => void,
): void {
  generation.nextOutputLimit = (current) => outputLeft(current, ticket)
  generation.onEnd = (ended) => {
    const spent = spentBy(ended, ticket)
    const budget = { reserved: ticket.input + ticket.output, spent }
    record.set({ budget })
    settle(spent)
    return { budget }
  }
}
