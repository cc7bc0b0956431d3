/**
 * The gateway's client side: `streamChat()` (dependency-free, any runtime with `fetch`) and
 * `AppType` for `hono/client`.
 *
 * @example
 * import { streamChat } from './client'
 * for await (const event of streamChat({ user_input: 'Hi' }, { baseUrl: 'http://localhost:8000' })) console.log(event)
 */
export { streamChat, StreamChatError } from './stream-chat'
export type { ChatInput, StreamChatDone, StreamChatEvent, StreamChatOptions, StreamChatText } from './stream-chat'
export type { StreamChatErrorKind, StreamChatIssue } from './stream-chat-error'
export { createSseParser, type SseEvent, type SseParser } from './sse-parser'
export type { AppType } from './app-type'
