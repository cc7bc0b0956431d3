import { z } from '@hono/zod-openapi'

/**
 * The OpenAPI description of `/v1/responses`. These schemas document the requests and replies; the
 * request itself is checked by the translation (Gemini) or by OpenAI, so every error has OpenAI's shape.
 */

export const ResponseCreateSchema = z
  .object({
    model: z.string().openapi({
      description:
        'gpt-…, o1/o3/o4…, chatgpt-… → OpenAI; gemini-… → Gemini; or explicitly openai/<model>, gemini/<model>.',
      example: 'gemini-2.5-flash',
    }),
    input: z
      .union([z.string(), z.array(z.object({}).loose())])
      .openapi({ description: 'A string (one user message) or input items: message, function_call(_output), …' }),
    instructions: z.string().optional(),
    stream: z.boolean().optional(),
    background: z.boolean().optional().openapi({
      description:
        'Answer at once (`status: "queued"`); the answer runs in the resumable store. Poll `GET /v1/responses/{id}` or stream it with `?stream=true&starting_after=N`.',
    }),
    store: z.boolean().optional().openapi({
      description:
        'Default true: a Gemini response is kept for RESPONSES_TTL_MS, for `GET` and `previous_response_id`. OpenAI keeps its own.',
    }),
    previous_response_id: z.string().optional(),
    tools: z.array(z.object({ type: z.string() }).loose()).optional(),
    tool_choice: z.union([z.string(), z.object({ type: z.string() }).loose()]).optional(),
    max_output_tokens: z.number().int().optional(),
    temperature: z.number().optional(),
    top_p: z.number().optional(),
    reasoning: z.object({ effort: z.string().optional(), summary: z.string().optional() }).loose().optional(),
    text: z
      .object({ format: z.object({ type: z.string() }).loose().optional() })
      .loose()
      .optional(),
    fallback: z.boolean().optional().openapi({
      description:
        "The gateway's own (not OpenAI's): `false` = only this model answers, never a `FALLBACK` entry (default `true`).",
    }),
  })
  .loose()
  .openapi('ResponseCreateRequest', {
    example: { model: 'gemini-2.5-flash', input: 'Xin chào!', stream: true },
  })

export const ResponseObjectSchema = z
  .object({
    id: z.string(),
    object: z.literal('response'),
    created_at: z.number().int(),
    status: z.enum(['queued', 'in_progress', 'completed', 'incomplete', 'failed', 'cancelled']),
    model: z.string(),
    output: z.array(z.object({ type: z.string() }).loose()),
    usage: z
      .object({ input_tokens: z.number(), output_tokens: z.number(), total_tokens: z.number() })
      .loose()
      .nullable(),
  })
  .loose()
  .openapi('Response')

export const ResponseDeletedSchema = z
  .object({ id: z.string(), object: z.literal('response.deleted'), deleted: z.literal(true) })
  .openapi('ResponseDeleted')

export const RESPONSE_EVENTS_DESCRIPTION =
  'With `"stream": true`: `event: <type>\\ndata: {…}\\n\\n` with `sequence_number` from 0: `response.created` (`response.queued` in background mode), `response.in_progress`, the output item events, then one of `response.completed`, `response.incomplete` or `error` + `response.failed`. Each event also has an `id:` line (`<X-Stream-Id>:<n>`, n = sequence_number + 1) for `Last-Event-ID`; heartbeats are `: ping` comments.'
