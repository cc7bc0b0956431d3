import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../app-env'
import { readBudgetUsage } from '../budgets/gate'
import { budgetHeaders, budgetMisconfigured } from '../budgets/replies'
import { describeWindow } from '../budgets/spec'
import { ErrorSchema } from '../schemas'

/**
 * `GET /api/usage`: the caller's token budget in the current window. With no TOKEN_BUDGET it is
 * still a 200, `{"budget":"off"}`, so a client need not know how the gateway is configured.
 *
 * @example
 * curl -H "Authorization: Bearer $TOKEN" http://localhost:8000/api/usage
 * // {"budget":"on","caller":"sub:alice","window":"1d","limit":200000,"used":1830,"reserved":420,"remaining":197750,"resets_at":"2026-11-28T00:00:00Z"}
 */

const tokens = (description: string) => z.number().int().openapi({ description })

export const BudgetUsageSchema = z
  .union([
    z.object({
      budget: z.literal('on'),
      caller: z.string().openapi({
        description: 'Whose budget this is: `token:<index>`, `sub:<sub>` or `ip:<address>`.',
        example: 'sub:alice',
      }),
      window: z.string().openapi({ description: 'The window of TOKEN_BUDGET.', example: '1d' }),
      limit: tokens("Input plus output tokens per window (a signed token's `budget` claim, else TOKEN_BUDGET's)."),
      used: tokens('Spent in this window: settled requests, and reservations that expired unsettled.'),
      reserved: tokens('Held by requests still running (their input estimate plus output ceiling).'),
      remaining: tokens('`limit - used - reserved`, at least 0.'),
      resets_at: z.string().openapi({
        description: 'When the window ends and `used` starts again from 0: ISO 8601, UTC, whole seconds.',
        example: '2026-11-28T00:00:00Z',
      }),
    }),
    z.object({
      budget: z.literal('off').openapi({ description: 'No TOKEN_BUDGET: no token budget applies.' }),
    }),
  ])
  .openapi('BudgetUsage')

export const usageGet = createRoute({
  method: 'get',
  path: '/api/usage',
  tags: ['meta'],
  summary: "The caller's token budget: limit, used, reserved, remaining and when it resets",
  responses: {
    200: {
      content: { 'application/json': { schema: BudgetUsageSchema } },
      description: 'The figures (with `X-Budget-Remaining` and `X-Budget-Reset`), or `{"budget":"off"}`.',
    },
    503: {
      content: { 'application/json': { schema: ErrorSchema } },
      description: 'TOKEN_BUDGET is set but cannot be read: no budgeted request is served.',
    },
  },
})

export function registerUsageRoute(app: OpenAPIHono<AppEnv>): void {
  app.openapi(usageGet, async (c) => {
    const budget = await readBudgetUsage(c)
    if (budget.kind === 'off') return c.json({ budget: 'off' as const }, 200)
    if (budget.kind === 'misconfigured') return budgetMisconfigured(c, budget.message) as never
    const { usage, caller, spec } = budget
    for (const [name, value] of Object.entries(budgetHeaders(usage))) c.header(name, value)
    return c.json(
      {
        budget: 'on' as const,
        caller,
        window: describeWindow(spec.windowMs),
        limit: usage.limit,
        used: usage.used,
        reserved: usage.reserved,
        remaining: usage.remaining,
        resets_at: new Date(usage.resetAt).toISOString().replace('.000Z', 'Z'),
      },
      200,
    )
  })
}
