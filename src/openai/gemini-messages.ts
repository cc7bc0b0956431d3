import type { Content, Part } from '@google/genai'
import type { ParamIssue } from './errors'
import { signatureOf } from './tool-call-id'

/**
 * OpenAI `messages` to Gemini `contents` and `systemInstruction`: system and developer messages
 * become the system instruction; user → `user`, assistant → `model` (tool calls as `functionCall`
 * parts, with their thought signature), tool → `user` with a `functionResponse` part named after
 * the call it answers. Consecutive turns of the same role are merged, as Gemini expects.
 *
 * @example
 * toGeminiContents([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }])
 * // { contents: [{ role: 'user', parts: [{ text: 'Hi' }] }], systemInstruction: { parts: [{ text: 'Be brief.' }] }, issues: [] }
 */

export interface GeminiContents {
  contents: Content[]
  systemInstruction?: Content
  issues: ParamIssue[]
}

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

/** `data:<mime>;base64,<data>` → an inline part. */
function dataUrlPart(url: string): Part | undefined {
  const match = /^data:([\w.+-]+\/[\w.+-]+)(?:;[^,]*)?;base64,(.*)$/s.exec(url)
  return match ? { inlineData: { mimeType: match[1], data: match[2] } } : undefined
}

const AUDIO_TYPES: Record<string, string> = { wav: 'audio/wav', mp3: 'audio/mp3' }

/** One element of a content-part array. */
function partOf(part: unknown, at: string, issues: ParamIssue[]): Part | undefined {
  if (!isObject(part)) {
    issues.push({ param: at, message: 'must be a content part object' })
    return undefined
  }
  if ((part.type === 'text' || part.type === 'refusal') && typeof (part.text ?? part.refusal) === 'string') {
    return { text: (part.text ?? part.refusal) as string }
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
    const mimeType = AUDIO_TYPES[String(part.input_audio.format)]
    if (mimeType) return { inlineData: { mimeType, data: part.input_audio.data } }
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
function contentParts(content: unknown, at: string, issues: ParamIssue[]): Part[] {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }]
  if (content === null || content === undefined) return []
  if (!Array.isArray(content)) {
    issues.push({ param: at, message: 'must be a string or an array of content parts' })
    return []
  }
  const parts: Part[] = []
  content.forEach((part, index) => {
    const converted = partOf(part, `${at}[${index}]`, issues)
    if (converted) parts.push(converted)
  })
  return parts
}

/** The `functionCall` parts of an assistant message's `tool_calls`; records each call's name by id. */
function callParts(calls: unknown, at: string, names: Map<string, string>, issues: ParamIssue[]): Part[] {
  if (calls === undefined || calls === null) return []
  if (!Array.isArray(calls)) {
    issues.push({ param: at, message: 'must be an array of tool calls' })
    return []
  }
  const parts: Part[] = []
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
    let args: unknown = {}
    try {
      args = JSON.parse(
        typeof call.function.arguments === 'string' && call.function.arguments !== '' ? call.function.arguments : '{}',
      )
    } catch {
      args = undefined
    }
    if (!isObject(args)) {
      issues.push({ param: `${where}.function.arguments`, message: 'must be a JSON object in a string' })
      return
    }
    const id = typeof call.id === 'string' ? call.id : ''
    names.set(id, call.function.name)
    const signature = signatureOf(id)
    parts.push({
      functionCall: { name: call.function.name, args },
      ...(signature ? { thoughtSignature: signature } : {}),
    })
  })
  return parts
}

/** A tool message's result as Gemini's `functionResponse.response` object. */
function toolResult(parts: Part[]): Record<string, unknown> {
  const text = parts.map((part) => part.text ?? '').join('')
  try {
    const parsed: unknown = JSON.parse(text)
    if (isObject(parsed)) return parsed
  } catch {
    // Plain text: wrapped below.
  }
  return { content: text }
}

export function toGeminiContents(messages: unknown): GeminiContents {
  const issues: ParamIssue[] = []
  if (!Array.isArray(messages) || messages.length === 0) {
    return { contents: [], issues: [{ param: 'messages', message: 'must be a non-empty array of messages' }] }
  }
  const contents: Content[] = []
  const system: Part[] = []
  const names = new Map<string, string>()
  const add = (role: 'user' | 'model', parts: Part[]) => {
    const last = contents.at(-1)
    if (last?.role === role) last.parts?.push(...parts)
    else contents.push({ role, parts })
  }

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
        system.push(...content)
        return
      case 'user':
        add('user', content.length > 0 ? content : [{ text: '' }])
        return
      case 'assistant': {
        const parts = [...content, ...callParts(message.tool_calls, `${at}.tool_calls`, names, issues)]
        if (message.function_call != null)
          issues.push({ param: `${at}.function_call`, message: 'unsupported (deprecated): use tool_calls' })
        if (message.audio != null) issues.push({ param: `${at}.audio`, message: 'unsupported for Gemini' })
        if (parts.length > 0) add('model', parts)
        return
      }
      case 'tool': {
        const id = typeof message.tool_call_id === 'string' ? message.tool_call_id : ''
        const name = names.get(id)
        if (name === undefined) {
          issues.push({
            param: `${at}.tool_call_id`,
            message: 'must be the id of a tool call in an earlier assistant message',
          })
          return
        }
        add('user', [{ functionResponse: { name, response: toolResult(content) } }])
        return
      }
      default:
        issues.push({
          param: `${at}.role`,
          message: `must be one of "system", "developer", "user", "assistant", "tool" (got ${JSON.stringify(message.role)})`,
        })
    }
  })
  if (contents.length === 0 && issues.length === 0) {
    issues.push({ param: 'messages', message: 'must contain at least one user message' })
  }
  return { contents, ...(system.length > 0 ? { systemInstruction: { parts: system } } : {}), issues }
}
