import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { AppEnv } from '../../app-env'
import { isProviderName } from '../../env'
import { type ChatRequestBody, ChatRequestSchema, MODEL_NAME } from '../../schemas'
import { badRequest, issuesFromZod } from '../../validation'

/**
 * The body of `POST /api/stream/chat`, validated as the route's OpenAPI validator did it, with the same
 * replies: 415 for a Content-Type that is not plain JSON, 400 `body: is not valid JSON`, and zod's 400
 * naming each bad field. A body of the usual shape is checked by hand ({@link plainChatBody}), which
 * costs a fraction of zod's parse; anything else goes through {@link ChatRequestSchema}, so every
 * refusal is zod's own message.
 *
 * @example
 * const input = await readChatBody(c)
 * if (input instanceof Response) return input // 400 {"error":"user_input: is required",…}
 */
export async function readChatBody(c: Context<AppEnv>): Promise<ChatRequestBody | Response> {
  const contentType = c.req.header('content-type')
  if (contentType && !JSON_REQUEST.test(contentType)) {
    throw new HTTPException(415, { message: 'Unsupported Media Type' })
  }
  let value: unknown
  try {
    value = await c.req.raw.json()
  } catch {
    // The app's error handler turns it into `body: is not valid JSON`.
    throw new HTTPException(400, { message: 'Malformed JSON in request body' })
  }
  const plain = plainChatBody(value)
  if (plain) return plain
  const result = await ChatRequestSchema.safeParseAsync(value)
  return result.success ? result.data : badRequest(c, issuesFromZod(result.error))
}

/** What @hono/zod-openapi accepts as a JSON Content-Type (its 415 otherwise). */
const JSON_REQUEST = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i

/** ChatRequestSchema's bounds (body.test.ts checks that both agree). */
const MAX_MODEL_CHARS = 200
const MAX_TURNS = 200
const MAX_TOKENS = 1_000_000

/**
 * The parsed JSON body when ChatRequestSchema would accept it as it is, with the same result (known fields only,
 * each message reduced to `role` and `content`); undefined for anything else, which zod then reports.
 *
 * @example
 * plainChatBody({ user_input: 'Hi', provider: 'openai', extra: 1 }) // { user_input: 'Hi', provider: 'openai' }
 * plainChatBody({ user_input: ' ' })                                // undefined (zod: "must not be empty")
 */
export function plainChatBody(value: unknown): ChatRequestBody | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const input = value as Record<string, unknown>
  const userInput = input.user_input
  if (typeof userInput !== 'string' || userInput.trim().length === 0) return undefined
  const body: ChatRequestBody = { user_input: userInput }
  const { provider, model, system, messages, temperature, fallback } = input
  if (provider !== undefined) {
    if (!isProviderName(provider)) return undefined
    body.provider = provider
  }
  if (model !== undefined) {
    if (typeof model !== 'string' || model.length === 0 || model.length > MAX_MODEL_CHARS) return undefined
    if (!MODEL_NAME.test(model)) return undefined
    body.model = model
  }
  if (system !== undefined) {
    if (typeof system !== 'string') return undefined
    body.system = system
  }
  if (messages !== undefined) {
    const turns = plainTurns(messages)
    if (!turns) return undefined
    body.messages = turns
  }
  if (temperature !== undefined) {
    if (typeof temperature !== 'number' || !(temperature >= 0 && temperature <= 2)) return undefined
    body.temperature = temperature
  }
  const maxTokens = input.max_tokens
  if (maxTokens !== undefined) {
    if (!Number.isSafeInteger(maxTokens) || (maxTokens as number) < 1 || (maxTokens as number) > MAX_TOKENS) {
      return undefined
    }
    body.max_tokens = maxTokens as number
  }
  if (fallback !== undefined) {
    if (typeof fallback !== 'boolean') return undefined
    body.fallback = fallback
  }
  return body
}

type Turn = NonNullable<ChatRequestBody['messages']>[number]

function plainTurns(value: unknown): Turn[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_TURNS) return undefined
  const turns: Turn[] = []
  for (const turn of value) {
    if (typeof turn !== 'object' || turn === null || Array.isArray(turn)) return undefined
    const { role, content } = turn as Record<string, unknown>
    if ((role !== 'user' && role !== 'assistant') || typeof content !== 'string') return undefined
    turns.push({ role, content })
  }
  return turns
}
