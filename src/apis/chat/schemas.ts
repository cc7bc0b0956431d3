import { z } from '@hono/zod-openapi'

/**
 * The OpenAPI description of the OpenAI-compatible endpoints. These schemas document the
 * requests and replies; the request itself is checked by the translation (Gemini) or by OpenAI,
 * so that every error has OpenAI's shape.
 */

const message = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
    content: z.union([z.string(), z.array(z.object({ type: z.string() }).loose()), z.null()]).optional(),
    tool_calls: z
      .array(
        z.object({
          id: z.string(),
          type: z.literal('function'),
          function: z.object({ name: z.string(), arguments: z.string() }),
        }),
      )
      .optional(),
    tool_call_id: z.string().optional(),
  })
  .loose()

export const ChatCompletionRequestSchema = z
  .object({
    model: z.string().openapi({
      description:
        'gpt-…, o1/o3/o4…, chatgpt-… → OpenAI; gemini-… → Gemini; or explicitly openai/<model>, gemini/<model>.',
      example: 'gemini-2.5-flash',
    }),
    messages: z.array(message).min(1),
    stream: z.boolean().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).optional(),
    temperature: z.number().optional(),
    top_p: z.number().optional(),
    max_tokens: z.number().int().optional(),
    max_completion_tokens: z.number().int().optional(),
    stop: z.union([z.string(), z.array(z.string())]).optional(),
    seed: z.number().int().optional(),
    presence_penalty: z.number().optional(),
    frequency_penalty: z.number().optional(),
    response_format: z
      .object({ type: z.enum(['text', 'json_object', 'json_schema']) })
      .loose()
      .optional(),
    reasoning_effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max']).optional(),
    tools: z
      .array(z.object({ type: z.literal('function'), function: z.object({ name: z.string() }).loose() }))
      .optional(),
    tool_choice: z.union([z.enum(['none', 'auto', 'required']), z.object({ type: z.string() }).loose()]).optional(),
    fallback: z.boolean().optional().openapi({
      description:
        "The gateway's own (not OpenAI's; from the SDKs pass it as an extra body field): `false` = only this model answers, never a `FALLBACK` entry (default `true`).",
    }),
  })
  .loose()
  .openapi('ChatCompletionRequest', {
    example: { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Xin chào!' }], stream: true },
  })

export const ChatCompletionSchema = z
  .object({
    id: z.string(),
    object: z.literal('chat.completion'),
    created: z.number().int(),
    model: z.string(),
    choices: z.array(
      z
        .object({
          index: z.number().int(),
          message: z.object({ role: z.literal('assistant'), content: z.string().nullable() }).loose(),
          finish_reason: z.enum(['stop', 'length', 'tool_calls', 'content_filter', 'function_call']),
        })
        .loose(),
    ),
    usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number() }).loose(),
  })
  .loose()
  .openapi('ChatCompletion')

export const OpenAIErrorSchema = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string(),
      param: z.string().nullable(),
      code: z.string().nullable(),
    }),
  })
  .openapi('OpenAIError', {
    example: {
      error: {
        message: 'The model `claude-3` does not exist or you do not have access to it.',
        type: 'invalid_request_error',
        param: 'model',
        code: 'model_not_found',
      },
    },
  })

export const ModelListSchema = z
  .object({
    object: z.literal('list'),
    data: z.array(z.object({ id: z.string(), object: z.literal('model'), created: z.number(), owned_by: z.string() })),
  })
  .openapi('ModelList')

export const CHUNKS_DESCRIPTION =
  'With `"stream": true`: `chat.completion.chunk` frames, `data: {…}\\n\\n` each, then `data: [DONE]`. With `stream_options.include_usage` the frame before `[DONE]` has `"choices":[]` and the usage. A failure after the first frame is a `data: {"error":{…}}` frame.'
