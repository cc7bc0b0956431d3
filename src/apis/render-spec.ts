import type { EventWriter, Renderer } from '../canonical/renderer'
import type { RequestRecord } from '../observability/request-record'
import { createChatStreamRenderer, type ChatStreamOptions } from './chat/render-stream'
import { createSeedRenderer } from './seed/render-stream'

/**
 * Which public API a stream speaks, as plain JSON: a resumable stream carries it to where its
 * generation runs (a Durable Object on Workers), which builds the renderer there.
 *
 * @example
 * createStreamRenderer({ api: 'chat', includeUsage: true }, writer, record)
 */
export type RenderSpec = { api: 'seed' } | ({ api: 'chat' } & ChatStreamOptions)

export function createStreamRenderer(spec: RenderSpec, writer: EventWriter, record: RequestRecord): Renderer {
  switch (spec.api) {
    case 'seed':
      return createSeedRenderer(writer, record)
    case 'chat':
      return createChatStreamRenderer(writer, record, spec)
  }
}
