import type { FilePart, Message, TextPart, ToolCallPart } from '../../canonical/request'
import type { ParamIssue } from '../../renderers/chat/errors'
import { splitToolCallId } from '../../renderers/chat/tool-call-id'

/**
 * OpenAI `messages` as canonical messages: system and developer messages become system messages,
 * user and assistant turns keep their role (tool calls as tool-call parts, with the thought
 * signature their id carries), a tool message becomes a tool result named after the call it answers.
 * Every content the gateway cannot translate is an issue naming its place.
 *
 * @example
 * parseMessages([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }])
 * // { messages: [{ role: 'system', parts: [{ type: 'text', text: 'Be brief.' }] }, { role: 'user', … }], issues: [] }
 */

type Json = Record<string, unknown>
type ContentPart = TextPart | FilePart

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

/** `data:<mime>;base64,<data>` → a file part. */
function dataUrlPart(url: string): FilePart | undefined {
  const match = /^data:([\w.+-]+\/[\w.+-]+)(?:;[^,]*)?;base64,(.*)$/s.exec(url)
  return match ? { type: 'file', mediaType: match[1]!, data: match[2]! } : undefined
}

const AUDIO_TYPES: Record<string, string> = { wav: 'audio/wav', mp3: 'audio/mp3' }

/** One element of a content-part array. */
function partOf(part: unknown, at: string, issues: ParamIssue[]): ContentPart | undefined {
  if (!isObject(part)) {
    issues.push({ param: at, message: 'must be a content part object' })
    return undefined
  }
  if ((part.type === 'text' || part.type === 'refusal') && typeof (part.text ?? part.refusal) === 'string') {
    return { type: 'text', text: (part.text ?? part.refusal) as string }
  }
  if (part.type === 'image_url' && isObject(part.image_url) && typeof part.image_url.url === 'string') {
    const inline = dataUrlPart(part.image_url.url)
    if (inline) return inline
    issues.push({
      param: `${at}.image_url.url`,
      message: 'unsupported for Gemini: send the image inline as a data: URL (base64)',
    })
    return undefined
  }
  if (part.type === 'input_audio' && isObject(part.input_audio) && typeof part.input_audio.data === 'string') {
    const mediaType = AUDIO_TYPES[String(part.input_audio.format)]
    if (mediaType) return { type: 'file', mediaType, data: part.input_audio.data }
    issues.push({ param: `${at}.input_audio.format`, message: 'must be "wav" or "mp3"' })
    return undefined
  }
  if (part.type === 'file' && isObject(part.file) && typeof part.file.file_data === 'string') {
    const inline = dataUrlPart(part.file.file_data)
    if (inline) return inline
  }
  issues.push({
    param: at,
    message: `unsupported content part for Gemini (type ${JSON.stringify(part.type)}): use text, image_url or file with a data: URL, or input_audio`,
  })
  return undefined
}

/** A message's `content`: a string or an array of parts. */
function contentParts(content: unknown, at: string, issues: ParamIssue[]): ContentPart[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }]
  if (content === null || content === undefined) return []
  if (!Array.isArray(content)) {
    issues.push({ param: at, message: 'must be a string or an array of content parts' })
    return []
  }
  const parts: ContentPart[] = []
  content.forEach((part, index) => {
    const converted = partOf(part, `${at}[${index}]`, issues)
    if (converted) parts.push(converted)
  })
  return parts
}

const textOnly = (parts: ContentPart[]): TextPart[] => parts.filter((part): part is TextPart => part.type === 'text')

/** The tool-call parts of an assistant message's `tool_calls`; records each call's name by id. */
function callParts(calls: unknown, at: string, names: Map<string, string>, issues: ParamIssue[]): ToolCallPart[] {
  if (calls === undefined || calls === null) return []
  if (!Array.isArray(calls)) {
    issues.push({ param: at, message: 'must be an array of tool calls' })
    return []
  }
  const parts: ToolCallPart[] = []
  calls.forEach((call, index) => {
    const where = `${at}[${index}]`
    if (
      !isObject(call) ||
      call.type !== 'function' ||
      !isObject(call.function) ||
      typeof call.function.name !== 'string'
    ) {
      issues.push({
        param: where,
        message: 'must be a function tool call {"id","type":"function","function":{"name","arguments"}}',
      })
      return
    }
    const input =
      typeof call.function.arguments === 'string' && call.function.arguments !== '' ? call.function.arguments : '{}'
    let args: unknown
    try {
      args = JSON.parse(input)
    } catch {
      args = undefined
    }
    if (!isObject(args)) {
      issues.push({ param: `${where}.function.arguments`, message: 'must be a JSON object in a string' })
      return
    }
    const wireId = typeof call.id === 'string' ? call.id : ''
    names.set(wireId, call.function.name)
    const { id, signature } = splitToolCallId(wireId)
    parts.push({ type: 'tool-call', id, name: call.function.name, input, ...(signature ? { signature } : {}) })
  })
  return parts
}

export function parseMessages(messages: unknown): { messages: Message[]; issues: ParamIssue[] } {
  const issues: ParamIssue[] = []
  if (!Array.isArray(messages) || messages.length === 0) {
    return { messages: [], issues: [{ param: 'messages', message: 'must be a non-empty array of messages' }] }
  }
  const out: Message[] = []
  const names = new Map<string, string>()
  messages.forEach((message, index) => {
    const at = `messages[${index}]`
    if (!isObject(message)) {
      issues.push({ param: at, message: 'must be a message object' })
      return
    }
    const content = contentParts(message.content, `${at}.content`, issues)
    switch (message.role) {
      case 'system':
      case 'developer':
        out.push({ role: 'system', parts: textOnly(content) })
        return
      case 'user':
        out.push({ role: 'user', parts: content })
        return
      case 'assistant': {
        const calls = callParts(message.tool_calls, `${at}.tool_calls`, names, issues)
        if (message.function_call != null)
          issues.push({ param: `${at}.function_call`, message: 'unsupported (deprecated): use tool_calls' })
        if (message.audio != null) issues.push({ param: `${at}.audio`, message: 'unsupported for Gemini' })
        out.push({ role: 'assistant', parts: [...textOnly(content), ...calls] })
        return
      }
      case 'tool': {
        const wireId = typeof message.tool_call_id === 'string' ? message.tool_call_id : ''
        const name = names.get(wireId)
        if (name === undefined) {
          issues.push({
            param: `${at}.tool_call_id`,
            message: 'must be the id of a tool call in an earlier assistant message',
          })
          return
        }
        const output = textOnly(content)
          .map((part) => part.text)
          .join('')
        out.push({ role: 'tool', parts: [{ type: 'tool-result', id: splitToolCallId(wireId).id, name, output }] })
        return
      }
      default:
        issues.push({
          param: `${at}.role`,
          message: `must be one of "system", "developer", "user", "assistant", "tool" (got ${JSON.stringify(message.role)})`,
        })
    }
  })
  if (!out.some((message) => message.role !== 'system') && issues.length === 0) {
    issues.push({ param: 'messages', message: 'must contain at least one user message' })
  }
  return { messages: out, issues }
}
