/** A granted reservation, as plain data: it can travel to the Durable Object that runs the stream. */
export interface BudgetTicket {
  caller: string
  id: string
  input: number
  /** The output ceiling: send it upstream as the request's output limit. */
  output: number
  limit: number
  /** What remains for the caller's other requests while this one holds its reservation. */
  remaining: number
  resetAt: number
}
