/**
 * Strict reading of a `/v1/chat/completions` stream as the gateway sends it: a resumable stream
 * opens with `retry: 1000\n\n` and every frame is `id: <stream id>:<n>\ndata: <chunk JSON or
 * [DONE]>\n\n` with n consecutive; comment blocks (`: ping`) may come between frames; nothing follows
 * `[DONE]`. Throws with a precise message when the framing is off.
 *
 * @example
 * const s = parseChatStream(await res.text())
 * s.ids    // ['x3Q0…:1', 'x3Q0…:2', …]
 * s.text   // every delta.content joined
 * s.frames.at(-1) // '[DONE]'
 */

export type ChatFrame = Record<string, unknown> & {
  id?: string
  choices?: { index: number; delta?: { role?: string; content?: string | null }; finish_reason?: string | null }[]
}

export interface ChatStream {
  /** The text parsed: the whole input, or with `partial` its complete blocks only. */
  raw: string
  retry: boolean
  /** The parsed `data:` payloads in order: chunk objects, then `'[DONE]'`. */
  frames: (ChatFrame | '[DONE]')[]
  /** The `id:` of each frame (undefined without one). */
  ids: (string | undefined)[]
  comments: string[]
  /** Every `choices[].delta.content` joined. */
  text: string
  /** The non-empty `delta.content` of each frame, in order. */
  contents: string[]
}

/**
 * Parses `raw` strictly. With `partial`, text after the last complete block (a frame the connection
 * cut short) is left out and the stream need not end with `[DONE]`.
 */
export function parseChatStream(raw: string, { partial = false } = {}): ChatStream {
  const fail = (why: string): never => {
    throw new Error(`bad /v1 SSE framing: ${why}\n--- raw (first 2000 chars) ---\n${raw.slice(0, 2000)}`)
  }
  const input = partial ? raw.slice(0, raw.lastIndexOf('\n\n') + 2) : raw
  if (input.includes('\r')) fail('contains a CR')
  if (input !== '' && !input.endsWith('\n\n')) fail('does not end with a blank line (\\n\\n)')
  const blocks = input === '' ? [] : input.slice(0, -2).split('\n\n')
  const retry = blocks[0] === 'retry: 1000'
  if (retry) blocks.shift()
  const frames: ChatStream['frames'] = []
  const ids: ChatStream['ids'] = []
  const comments: string[] = []
  for (const block of blocks) {
    const lines = block.split('\n')
    if (lines.every((line) => line.startsWith(':'))) {
      comments.push(...lines)
      continue
    }
    if (frames.at(-1) === '[DONE]') fail(`something follows [DONE]: ${JSON.stringify(block)}`)
    const id = lines.length === 2 && lines[0]!.startsWith('id: ') ? lines.shift()!.slice(4) : undefined
    if (id !== undefined && !/^[A-Za-z0-9_-]{24}:[1-9][0-9]*$/.test(id)) fail(`not an event id: ${JSON.stringify(id)}`)
    if (lines.length !== 1 || !lines[0]!.startsWith('data: ')) fail(`not one data line: ${JSON.stringify(block)}`)
    const data = lines[0]!.slice(6)
    if (data === '[DONE]') frames.push('[DONE]')
    else {
      let value: unknown
      try {
        value = JSON.parse(data)
      } catch {
        fail(`a data line is not JSON: ${JSON.stringify(data)}`)
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`not a JSON object: ${data}`)
      frames.push(value as ChatFrame)
    }
    ids.push(id)
  }
  if (!partial && frames.at(-1) !== '[DONE]') fail('the stream does not end with [DONE]')
  if (ids.some((id) => id === undefined) && ids.some((id) => id !== undefined)) fail('some frames have an id, some not')
  const [streamId, first] = (ids[0] ?? ':').split(':')
  ids.forEach((id, i) => {
    if (id !== undefined && id !== `${streamId}:${Number(first) + i}`)
      fail(`frame ${i} has id ${id}, expected ${streamId}:${Number(first) + i}`)
  })
  const contents = frames.flatMap((frame) =>
    frame === '[DONE]' ? [] : (frame.choices ?? []).map((choice) => choice.delta?.content ?? '').filter(Boolean),
  )
  return { raw: input, retry, frames, ids, comments, text: contents.join(''), contents }
}

/** Reads a response body until it ends or breaks off: the text that came, and the error if it broke. */
export async function readUntilBroken(res: Response): Promise<{ raw: string; error: unknown }> {
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  let raw = ''
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return { raw: raw + decoder.decode(), error: undefined }
      raw += decoder.decode(value, { stream: true })
    }
  } catch (error) {
    return { raw, error }
  }
}
