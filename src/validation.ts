import type { Context } from 'hono'
import type { ZodError } from 'zod'

export interface FieldIssue {
  field: string
  message: string
}

/**
 * A 400 JSON reply naming each bad field: `{"error":"user_input: is required","issues":[…]}`.
 *
 * @example
 * return badRequest(c, [{ field: 'user_input', message: 'must be at most 32000 characters' }])
 */
export function badRequest(c: Context, issues: FieldIssue[]) {
  return fieldErrors(c, 400, issues)
}

/** The same reply with another 4xx status, e.g. 413 for `body: must be at most … bytes`. */
export function fieldErrors(c: Context, status: 400 | 413, issues: FieldIssue[]) {
  const error = issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ')
  return c.json({ error, issues }, status)
}

export function issuesFromZod(error: ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.join('.') : 'body',
    message: issue.message,
  }))
}

/** The `defaultHook` of the app: every failed validation becomes a {@link badRequest}. */
export function validationHook(
  result: { success: true } | { success: false; error: ZodError },
  c: Context,
): Response | undefined {
  if (!result.success) return badRequest(c, issuesFromZod(result.error))
  return undefined
}
