import { z } from '@hono/zod-openapi'
import { PROVIDER_NAMES } from './env'

/**
 * The zod schemas that validate requests and generate the OpenAPI document.
 * Each message reads after its field name: `user_input: is required`.
 */

const required = (type: string) => (issue: { input: unknown }) =>
  issue.input === undefined ? 'is required' : `must be ${type}`

const userInput = z
  .string({ error: required('a string') })
  .refine((value) => value.trim().length > 0, { error: 'must not be empty' })
  .openapi({ description: 'The user message to answer.', example: 'Xin chào, bạn có khỏe không?' })

const provider = z
  .enum(PROVIDER_NAMES, {
    error: (issue) => `must be one of ${PROVIDER_NAMES.map((name) => `"${name}"`).join(', ')} (got ${JSON.stringify(issue.input)})`,
  })
  .optional()
  .openapi({ description: 'Which provider answers. Default: the DEFAULT_PROVIDER binding (gemini).', example: 'gemini' })

const model = z
  .string({ error: required('a string') })
  .min(1, { error: 'must not be empty' })
  .max(200, { error: 'must be at most 200 characters' })
  .regex(/^(?!.*\.\.)[A-Za-z0-9][\w.:@/-]*$/, { error: 'must be a model name (letters, digits and . _ - : @ /, no "..")' })
  .optional()
  .openapi({ description: "Overrides the provider's configured model (OPENAI_MODEL / GEMINI_MODEL).", example: 'gemini-2.5-flash' })

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

const fallback = z
  .boolean({ error: 'must be true or false' })
  .optional()
  .openapi({ description: 'false: only the requested provider and model answer, never a FALLBACK entry. Default true.', example: false })

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
    max_tokens: fromQuery(maxTokens).openapi({ type: 'integer', description: 'Upper bound on the tokens of the answer.' }),
    fallback: z
      .preprocess((value) => (value === 'true' ? true : value === 'false' ? false : value === '' ? undefined : value), fallback)
      .openapi({ type: 'boolean', description: 'false: never answer with a FALLBACK entry.' }),
  })
  .openapi('ChatQuery')

export const DemoQuerySchema = z.object({
  count: fromQuery(z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(1).max(100).optional()).openapi({
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
    attempts: z.number().int().openapi({ description: 'Upstream requests it took (retries and fallbacks included).', example: 1 }),
  })
  .openapi('AskResponse')

const ProviderHealthSchema = z.object({
  configured: z.boolean().openapi({ description: 'Whether its API key binding is set (the key itself is never shown).' }),
  model: z.string().openapi({ description: 'Default model.' }),
  base_url: z.string(),
})

export const HealthSchema = z
  .object({
    status: z.literal('ok'),
    default_provider: z.enum(PROVIDER_NAMES),
    providers: z.object({ openai: ProviderHealthSchema, gemini: ProviderHealthSchema }),
  })
  .openapi('Health')

export const SSE_DESCRIPTION = [
  'A stream of Server-Sent Events, each one `data:` line of JSON:',
  '`data: {"chunk":"…","done":false}` per text piece, then `data: {"chunk":"","done":true,"provider":…,"model":…,"finish_reason":…,"usage":{…}}`.',
  'A failure after the stream began ends it with `data: {"error":"…","done":true}`. `: ping` comments keep quiet streams open.',
  'Resumable streams (the default) open with `retry: 1000`, put an `id: <stream id>:<n>` line before each `data:` line and send',
  'the stream id in `X-Stream-Id`; a request with `Last-Event-ID` resumes that stream (204 when it is finished, unknown or expired).',
].join(' ')
