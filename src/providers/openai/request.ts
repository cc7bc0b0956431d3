import type { ChatCompletionContentPart, ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import type { CanonicalRequest, Message, ToolChoice } from '../../canonical/request'

/**
 * The chat completions body for a canonical request, streamed with usage in the last chunk. A
 * request that carries the client's own chat completions body (`passthrough`) is sent as it is,
 * with only `model` rewritten and the gateway's output cap applied.
 *
 * @example
 * openaiBody(textRequest('Hi'), 'gpt-4.1-mini')
 * // { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } }
 */

type Json = Record<string, unknown>

function messageOf(message: Message): ChatCompletionMessageParam[] {
  switch (message.role) {
    case 'system':
      return [{ role: 'system', content: message.parts.map((part) => part.text).join('') }]
    case 'user': {
      if (message.parts.every((part) => part.type === 'text')) {
        return [
          { role: 'user', content: message.parts.map((part) => (part.type === 'text' ? part.text : '')).join('') },
        ]
      }
      const content: ChatCompletionContentPart[] = message.parts.map((part) =>
        part.type === 'text'
          ? { type: 'text', text: part.text }
          : { type: 'image_url', image_url: { url: `data:${part.mediaType};base64,${part.data}` } },
      )
      return [{ role: 'user', content }]
    }
    case 'assistant': {
      const text = message.parts.map((part) => (part.type === 'text' ? part.text : '')).join('')
      const calls = message.parts.flatMap((part) =>
        part.type === 'tool-call'
          ? [{ id: part.id, type: 'function' as const, function: { name: part.name, arguments: part.input } }]
          : [],
      )
      return [{ role: 'assistant', content: text || null, ...(calls.length > 0 ? { tool_calls: calls } : {}) }]
    }
    case 'tool':
      return message.parts.map((part) => ({ role: 'tool' as const, tool_call_id: part.id, content: part.output }))
  }
}

function toolChoice(choice: ToolChoice): unknown {
  if (typeof choice === 'string') return choice
  if ('name' in choice) return { type: 'function', function: { name: choice.name } }
  return {
    type: 'allowed_tools',
    allowed_tools: {
      mode: choice.mode,
      tools: choice.allowed.map((name) => ({ type: 'function', function: { name } })),
    },
  }
}

/** The client's own body with the gateway's model, and its output limit set to the granted one in the field it used. */
function passthroughBody(body: Json, model: string, request: CanonicalRequest): Json {
  const out: Json = { ...body, model }
  if (request.passthrough?.usageChunk === 'strip') {
    out.stream_options = { ...(body.stream_options as Json | undefined), include_usage: true }
  }
  const limit = request.maxOutputTokens
  if (limit === undefined) return out
  if (request.passthrough?.api === 'responses') out.max_output_tokens = limit
  else if (body.max_completion_tokens == null && body.max_tokens != null) out.max_tokens = limit
  else out.max_completion_tokens = limit
  return out
}

export function openaiBody(request: CanonicalRequest, model: string): Json {
  if (request.passthrough) return passthroughBody(request.passthrough.body, model, request)
  const body: Json = {
    model,
    messages: request.messages.flatMap(messageOf),
    stream: true,
    stream_options: { include_usage: true },
  }
  if (request.temperature !== undefined) body.temperature = request.temperature
  if (request.topP !== undefined) body.top_p = request.topP
  // `max_tokens` is refused by reasoning models; `max_completion_tokens` works with all of them.
  if (request.maxOutputTokens !== undefined) body.max_completion_tokens = request.maxOutputTokens
  if (request.stop !== undefined) body.stop = request.stop
  if (request.seed !== undefined) body.seed = request.seed
  if (request.presencePenalty !== undefined) body.presence_penalty = request.presencePenalty
  if (request.frequencyPenalty !== undefined) body.frequency_penalty = request.frequencyPenalty
  if (request.reasoningEffort !== undefined) body.reasoning_effort = request.reasoningEffort
  if (request.responseFormat) {
    const { schema, name } = request.responseFormat
    body.response_format = schema
      ? { type: 'json_schema', json_schema: { name: name ?? 'response', schema } }
      : { type: 'json_object' }
  }
  if (request.tools && request.tools.length > 0) {
    body.tools = request.tools.map((tool) =>
      tool.type === 'function'
        ? {
            type: 'function',
            function: {
              name: tool.name,
              ...(tool.description !== undefined ? { description: tool.description } : {}),
              ...(tool.parameters ? { parameters: tool.parameters } : {}),
            },
          }
        : {
            type: 'custom',
            custom: { name: tool.name, ...(tool.description ? { description: tool.description } : {}) },
          },
    )
  }
  if (request.toolChoice !== undefined) body.tool_choice = toolChoice(request.toolChoice)
  return body
}
