import { z } from '@hono/zod-openapi'
import { PROVIDER_NAMES } from './env'

/**
 * The zod schemas that validate requests and generate the OpenAPI document.
 * Each message reads after its field name: `user_input: is required`.
 */

/** A model name: letters, digits and `. _ - : @ /`, starting with a letter or digit, no `..`. */
export const MODEL_NAME = /^(?!.*\.\.)[A-Za-z0-9][\w.:@/-]*$/

const required = (type: string) => (issue: { input: unknown }) =>
  issue.input === undefined ? 'is required' : `must be ${type}`

const userInput = z
  .string({ error: required('a string') })
  .refine((value) => value.trim().length > 0, { error: 'must not be empty' })
  .openapi({ description: 'The user message to answer.', example: 'Xin chào, bạn có khỏe không?' })

const provider = z
  .enum(PROVIDER_NAMES, {
    error: (issue) =>
      `must be one of ${PROVIDER_NAMES.map((name) => `"${name}"`).join(', ')} (got ${JSON.stringify(issue.input)})`,
  })
  .optional()
  .openapi({
    description: 'Which provider answers. Default: the DEFAULT_PROVIDER binding (gemini).',
    example: 'gemini',
  })

const model = z
  .string({ error: required('a string') })
  .min(1, { error: 'must not be empty' })
  .max(200, { error: 'must be at most 200 characters' })
  .regex(MODEL_NAME, {
    error: 'must be a model name (letters, digits and . _ - : @ /, no "..")',
  })
  .optional()
  .openapi({
    description: "Overrides the provider's configured model (OPENAI_MODEL / GEMINI_MODEL).",
    example: 'gemini-2.5-flash',
  })

const system = z
  .string({ error: required('a string') })
  .optional()
  .openapi({ description: 'System prompt (instructions for the model).', example: 'Answer in one short paragraph.' })

const temperature = z
  .number({ error: required('a number') })
  .min(0, { error: 'must be between 0 and 2' })
  .max(2, { error: 'must be between 0 and 2' })
  .optional()
  .openapi({ description: 'Sampling temperature, 0 to 2.', example: 0.7 })

const maxTokens = z
  .number({ error: required('a number') })
  .int({ error: 'must be a whole number' })
  .min(1, { error: 'must be at least 1' })
  .max(1_000_000, { error: 'must be at most 1000000' })
  .optional()
  .openapi({ description: 'Upper bound on the tokens of the answer.', example: 512 })

const fallback = z.boolean({ error: 'must be true or false' }).optional().openapi({
  description: 'false: only the requested provider and model answer, never a FALLBACK entry. Default true.',
  example: false,
})

export const ChatMessageSchema = z
  .object(
    {
      role: z.enum(['user', 'assistant'], { error: 'must be "user" or "assistant"' }),
      content: z.string({ error: required('a string') }),
    },
    { error: 'must be an object {"role", "content"}' },
  )
  .openapi('ChatMessage')

const messages = z
  .array(ChatMessageSchema, { error: 'must be an array of {"role", "content"} objects' })
  .max(200, { error: 'must have at most 200 turns' })
  .optional()
  .openapi({ description: 'Earlier turns of the conversation, oldest first.' })

export const ChatRequestSchema = z
  .object(
    {
      user_input: userInput,
      provider,
      model,
      system,
      messages,
      temperature,
      max_tokens: maxTokens,
      fallback,
    },
    { error: 'must be a JSON object' },
  )
  .openapi('ChatRequest')

export type ChatRequestBody = z.infer<typeof ChatRequestSchema>

/** Query strings carry text: numbers are parsed, empty values count as absent. */
const fromQuery = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => {
    if (value === undefined || value === '') return undefined
    const parsed = Number(value)
    return Number.isNaN(parsed) ? value : parsed
  }, schema)

export const ChatQuerySchema = z
  .object({
    user_input: userInput,
    provider,
    model,
    system,
    temperature: fromQuery(temperature).openapi({ type: 'number', description: 'Sampling temperature, 0 to 2.' }),
    max_tokens: fromQuery(maxTokens).openapi({
      type: 'integer',
      description: 'Upper bound on the tokens of the answer.',
    }),
    messages: z
      .preprocess((value) => {
        if (value === undefined || value === '') return undefined
        try {
          return JSON.parse(String(value))
        } catch {
          return value
        }
      }, messages)
      .openapi({
        type: 'string',
        description: 'Earlier turns as a JSON array of {"role", "content"} objects, oldest first (URL-encoded).',
        example: '[{"role":"user","content":"My name is Lan."},{"role":"assistant","content":"Hi Lan!"}]',
      }),
    fallback: z
      .preprocess(
        (value) => (value === 'true' ? true : value === 'false' ? false : value === '' ? undefined : value),
        fallback,
      )
      .openapi({ type: 'boolean', description: 'false: never answer with a FALLBACK entry.' }),
  })
  .openapi('ChatQuery')

export const DemoQuerySchema = z.object({
  count: fromQuery(
    z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(1).max(100).optional(),
  ).openapi({
    type: 'integer',
    description: 'How many events (1 to 100, default 5).',
    example: 5,
  }),
  interval_ms: fromQuery(z.number({ error: 'must be a number' }).int().min(0).max(10_000).optional()).openapi({
    type: 'integer',
    description: 'Milliseconds between events (0 to 10000, default 500).',
    example: 500,
  }),
})

export const ErrorSchema = z
  .object({
    error: z.string().openapi({ example: 'user_input: is required' }),
    issues: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .openapi({ example: [{ field: 'user_input', message: 'is required' }] }),
    request_id: z
      .string()
      .optional()
      .openapi({ description: 'On 5xx answers: the id of the log line for this request.' }),
  })
  .openapi('Error')

export const UsageSchema = z
  .object({
    prompt_tokens: z.number().optional(),
    completion_tokens: z.number().optional(),
    total_tokens: z.number().optional(),
    reasoning_tokens: z.number().optional(),
  })
  .openapi('Usage')

export const AskResponseSchema = z
  .object({
    response: z.string().openapi({ example: 'Xin chào! Tôi khỏe, cảm ơn bạn.' }),
    provider: z.enum(PROVIDER_NAMES),
    model: z.string().openapi({ example: 'gemini-2.5-flash' }),
    finish_reason: z.string().openapi({ example: 'stop' }),
    usage: UsageSchema.optional(),
    attempts: z
      .number()
      .int()
      .openapi({ description: 'Upstream requests it took (retries and fallbacks included).', example: 1 }),
  })
  .openapi('AskResponse')

const ProviderHealthSchema = z.object({
  configured: z
    .boolean()
    .openapi({ description: 'Whether its API key binding is set (the key itself is never shown).' }),
  model: z.string().openapi({ description: 'Default model.' }),
})

export const HealthSchema = z
  .object({
    status: z.literal('ok'),
    access: z.enum(['open', 'token']).openapi({
      description:
        '`open`: the API serves everyone (no ACCESS_TOKENS, no TOKEN_SIGNING_SECRET); `token`: it needs an access token.',
    }),
    store: z.enum(['memory', 'redis', 'durable_object']).openapi({
      description:
        'Where resumable streams and rate-limit counts live: `memory` (this process), `redis` (REDIS_URL, shared by every instance), `durable_object` (Workers).',
    }),
    ok: z.boolean().openapi({
      description:
        "Whether the store answers. `false` only for `redis` while it is unreachable: requests are still served, with this process's state.",
    }),
    default_provider: z.enum(PROVIDER_NAMES),
    providers: z.object({ openai: ProviderHealthSchema, gemini: ProviderHealthSchema }),
    budgets: z.enum(['on', 'off', 'misconfigured']).openapi({
      description:
        '`on`: TOKEN_BUDGET limits the tokens each caller may spend (`GET /api/usage` shows a caller its own figures); `off`: no budget; `misconfigured`: TOKEN_BUDGET cannot be read and budgeted requests are refused.',
    }),
  })
  .openapi('Health')

/** A piece of the answer's text: `data: {"chunk":"…","done":false}`. */
export const StreamTextEventSchema = z
  .object({
    chunk: z
      .string()
      .openapi({ description: 'The next piece of the answer, as the provider sent it.', example: 'Xin chào' }),
    done: z.literal(false),
  })
  .openapi('StreamTextEvent', { description: 'One text piece, sent the moment the provider sends it.' })

/** What the gateway added and what the upstream took, in a stream's last event: the log line's `gw_ms` and `upstream_ms`. */
export const StreamTimingSchema = z
  .object({
    gw_ms: z.number().int().min(0).openapi({
      description: "The gateway's own time before the first upstream request left, in ms.",
      example: 1,
    }),
    upstream_ms: z.number().int().min(0).openapi({
      description: "The wait for that request's answer (its headers), in ms.",
      example: 380,
    }),
  })
  .openapi('StreamTiming', {
    description:
      'The figures the Server-Timing header could not carry, since the headers left before the upstream answered; the same as the log line’s `gw_ms` and `upstream_ms`. Present once the upstream answered.',
  })

/** The last event of a good answer. The demo stream (`/api/stream/sse`) closes with `events` instead. */
export const StreamDoneEventSchema = z
  .object({
    chunk: z.literal('').openapi({ description: 'Always empty.' }),
    done: z.literal(true),
    provider: z.enum(PROVIDER_NAMES).optional().openapi({ description: 'The provider that answered.' }),
    model: z.string().optional().openapi({ description: 'The model that answered.', example: 'gemini-2.5-flash' }),
    finish_reason: z.string().optional().openapi({
      description: '`stop`, `length` (cut by max_tokens), `refusal`, or `cancelled` (DELETE /api/streams/{id}).',
      example: 'stop',
    }),
    usage: UsageSchema.optional(),
    attempts: z
      .number()
      .int()
      .optional()
      .openapi({ description: 'Upstream requests the answer took (retries and fallbacks included).', example: 1 }),
    budget: z
      .object({
        reserved: z.number().int().openapi({ description: 'Tokens reserved before the upstream request.' }),
        spent: z.number().int().openapi({ description: 'Tokens the reservation settled to.' }),
      })
      .optional()
      .openapi({ description: 'With TOKEN_BUDGET: the reservation and what it settled to.' }),
    timing: StreamTimingSchema.optional(),
    request_id: z.string().optional().openapi({ description: 'The response’s X-Request-Id.' }),
    events: z.number().int().optional().openapi({ description: 'The demo stream only: how many events it sent.' }),
  })
  .openapi('StreamDoneEvent', { description: 'The last event of a good answer.' })

/** A failure after the stream began, as its last event; with `timing` once the upstream answered. */
export const StreamErrorEventSchema = z
  .object({
    error: z.string().openapi({
      description: 'Which provider, what happened and what to do.',
      example: 'openai: invalid API key (HTTP 401). Check the OPENAI_API_KEY secret.',
    }),
    done: z.literal(true),
    timing: StreamTimingSchema.optional(),
    request_id: z.string().optional().openapi({ description: 'The response’s X-Request-Id.' }),
  })
  .openapi('StreamErrorEvent', {
    description:
      'A failure after the stream began: the last event. It has `timing` when the upstream had answered (a failure mid-answer), not when the upstream refused the request or never answered.',
  })

/** What each `data:` line of a stream carries, as JSON. */
export const StreamEventSchema = z
  .union([StreamTextEventSchema, StreamDoneEventSchema, StreamErrorEventSchema])
  .openapi('StreamEvent', {
    description:
      'The JSON of one Server-Sent Event (`data: <StreamEvent>` and a blank line). Text events until one with `done: true`: a StreamDoneEvent, or a StreamErrorEvent when something failed. Lines starting with `:` (`: ping`, `: open`) are comments.',
  })

export const SSE_DESCRIPTION = [
  'A stream of Server-Sent Events, each one `data:` line of JSON:',
  '`data: {"chunk":"…","done":false}` per text piece, then `data: {"chunk":"","done":true,"provider":…,"model":…,"finish_reason":…,"usage":{…},"attempts":1,"timing":{"gw_ms":…,"upstream_ms":…},"request_id":…}`.',
  'A failure after the stream began ends it with `data: {"error":"…","done":true,"request_id":…}` (with `timing` when the upstream had answered). `: ping` comments keep quiet streams open.',
  'Resumable streams (the default) open with `retry: 1000`, put an `id: <stream id>:<n>` line before each `data:` line and send',
  'the stream id in `X-Stream-Id`; a request with `Last-Event-ID` resumes that stream (204 when it is finished, unknown or expired).',
].join(' ')
