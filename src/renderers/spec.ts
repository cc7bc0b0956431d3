import type { EventWriter, Renderer } from '../canonical/renderer'
import type { RequestRecord } from '../observability/request-record'
import { createChatStreamRenderer, type ChatStreamOptions } from './chat/stream'
import type { ResponsesRenderOptions } from './responses/options'
import { createResponsesStreamRenderer } from './responses/stream'
import { createSeedRenderer } from './seed/stream'

/**
 * Which public API a stream speaks, as plain JSON: a resumable stream carries it to where its
 * generation runs (a Durable Object on Workers), which builds the renderer there. A Responses
 * stream carries its response id and creation time, so the renderer there names the response the
 * route already announced (background mode), and the conversation to keep with it.
 *
 * @example
 * createStreamRenderer({ api: 'chat', includeUsage: true }, writer, record)
 * createStreamRenderer({ api: 'responses', model: 'gemini-2.5-flash', id: 'resp_…', createdAt: 1758064436 }, writer, record)
 */
export type RenderSpec =
  | { api: 'seed' }
  | ({ api: 'chat' } & ChatStreamOptions)
  | ({ api: 'responses' } & Omit<ResponsesRenderOptions, 'now'>)

export function createStreamRenderer(spec: RenderSpec, writer: EventWriter, record: RequestRecord): Renderer {
  switch (spec.api) {
    case 'seed':
      return createSeedRenderer(writer, record)
    case 'chat':
      return createChatStreamRenderer(writer, record, spec)
    case 'responses':
      return createResponsesStreamRenderer(writer, record, spec)
  }
}
