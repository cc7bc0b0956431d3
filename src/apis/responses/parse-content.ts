import type { FilePart, TextPart } from '../../canonical/request'
import type { ParamIssue } from '../../renderers/chat/errors'
import { isObject } from '../../renderers/responses/json'

/**
 * The `content` of a Responses `message` item: a string, or parts (`input_text`, `output_text`,
 * `refusal`, `input_image` and `input_file` as `data:` URLs, `input_audio`) as canonical text and
 * file parts. What Gemini cannot be sent (an image by URL or `file_id`) is an issue naming the part.
 *
 * @example
 * contentParts([{ type: 'input_text', text: 'What is this?' },
 *               { type: 'input_image', image_url: 'data:image/png;base64,iVBOR…' }], 'input[0].content', issues, true)
 * // [{ type: 'text', text: 'What is this?' }, { type: 'file', mediaType: 'image/png', data: 'iVBOR…' }]
 */

const DATA_URL = /^data:([\w.+-]+\/[\w.+-]+)(?:;[^,;]*)*;base64,(.*)$/s
const AUDIO_TYPES: Record<string, string> = { wav: 'audio/wav', mp3: 'audio/mp3' }
const FILE_TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  txt: 'text/plain',
  md: 'text/markdown',
  csv: 'text/csv',
  html: 'text/html',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
}

function fromDataUrl(url: string): FilePart | undefined {
  const match = DATA_URL.exec(url)
  return match ? { type: 'file', mediaType: match[1]!, data: match[2]! } : undefined
}

/** `input_file`: a data URL, or bare base64 whose type the file name tells. */
function fromFileData(part: Record<string, unknown>): FilePart | undefined {
  if (typeof part.file_data !== 'string') return undefined
  const inline = fromDataUrl(part.file_data)
  if (inline) return inline
  const extension = typeof part.filename === 'string' ? part.filename.split('.').pop()?.toLowerCase() : undefined
  const mediaType = extension ? FILE_TYPES[extension] : undefined
  return mediaType ? { type: 'file', mediaType, data: part.file_data } : undefined
}

function filePart(part: Record<string, unknown>, at: string, issues: ParamIssue[]): FilePart | undefined {
  if (part.type === 'input_image') {
    const inline = typeof part.image_url === 'string' ? fromDataUrl(part.image_url) : undefined
    if (inline) return inline
    issues.push({
      param: typeof part.image_url === 'string' ? `${at}.image_url` : at,
      message: 'unsupported for Gemini: send the image inline as a data: URL (base64), not a URL or file_id',
    })
    return undefined
  }
  if (part.type === 'input_file') {
    const inline = fromFileData(part)
    if (inline) return inline
    issues.push({
      param: at,
      message:
        'unsupported for Gemini: send the file inline as file_data with a data: URL (base64), not file_id or file_url',
    })
    return undefined
  }
  const audio = isObject(part.input_audio) ? part.input_audio : undefined
  const mediaType = AUDIO_TYPES[String(audio?.format)]
  if (mediaType && typeof audio?.data === 'string') return { type: 'file', mediaType, data: audio.data }
  issues.push({ param: `${at}.input_audio`, message: 'must be {"data": <base64>, "format": "wav" | "mp3"}' })
  return undefined
}

const TEXT_TYPES = new Set(['input_text', 'output_text', 'text'])
const FILE_PART_TYPES = new Set(['input_image', 'input_file', 'input_audio'])

/** One message's content; `files` says whether images and files may appear (user turns only). */
export function contentParts(
  content: unknown,
  at: string,
  issues: ParamIssue[],
  files: boolean,
): (TextPart | FilePart)[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }]
  if (!Array.isArray(content)) {
    issues.push({ param: at, message: 'must be a string or an array of content parts' })
    return []
  }
  const parts: (TextPart | FilePart)[] = []
  content.forEach((part, index) => {
    const where = `${at}[${index}]`
    if (!isObject(part)) {
      issues.push({ param: where, message: 'must be a content part object' })
    } else if (TEXT_TYPES.has(String(part.type)) && typeof part.text === 'string') {
      parts.push({ type: 'text', text: part.text })
    } else if (part.type === 'refusal' && typeof part.refusal === 'string') {
      parts.push({ type: 'text', text: part.refusal })
    } else if (FILE_PART_TYPES.has(String(part.type)) && files) {
      const file = filePart(part, where, issues)
      if (file) parts.push(file)
    } else {
      issues.push({
        param: where,
        message: files
          ? `unsupported content part (type ${JSON.stringify(part.type)}): use input_text, input_image, input_file or input_audio`
          : `unsupported content part here (type ${JSON.stringify(part.type)}): only text parts (input_text, output_text)`,
      })
    }
  })
  return parts
}

/** The text of a content that may only hold text (system and developer messages, tool outputs). */
export function textOnly(content: unknown, at: string, issues: ParamIssue[]): string {
  return contentParts(content, at, issues, false)
    .map((part) => (part.type === 'text' ? part.text : ''))
    .join('')
}
