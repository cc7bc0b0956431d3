/**
 * Cloudflare Workers entry. `static/` is served by Workers static assets (see
 * wrangler.jsonc) before the app sees a request; everything else is the app.
 * `ResumableStream` is the Durable Object class behind the RESUMABLE_STREAMS binding, `BudgetAccount`
 * the one behind BUDGETS (one per caller's token budget).
 */
import { createApp } from './app'

export { BudgetAccount } from './budgets/budget-account'
export { ResumableStream } from './streams/stream-object'

export default createApp()
