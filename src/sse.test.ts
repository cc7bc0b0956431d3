import { describe, expect, it } from 'vitest'
import { PING_EVENT, RETRY_EVENT, chunkData, chunkEvent, doneData, doneEvent, errorEvent, withId } from './sse'

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

describe('sse framing', () => {
  it('frames a text piece as one data line, escaping what would break the line', () => {
    expect(text(chunkEvent('Xin chào 👋\nline "two"\r\n'))).toBe(
      'data: {"chunk":"Xin chào 👋\\nline \\"two\\"\\r\\n","done":false}\n\n',
    )
  })

  it('keeps "chunk" and "done" first on the closing event', () => {
    expect(text(doneEvent({ provider: 'gemini', chunk: 'ignored?' }))).toBe(
      'data: {"chunk":"ignored?","done":true,"provider":"gemini"}\n\n',
    )
    expect(text(doneEvent())).toBe('data: {"chunk":"","done":true}\n\n')
  })

  it('frames errors and pings', () => {
    expect(text(errorEvent('openai: invalid API key (401)'))).toBe(
      'data: {"error":"openai: invalid API key (401)","done":true}\n\n',
    )
    expect(text(PING_EVENT)).toBe(': ping\n\n')
  })

  it('frames a resumable event with its id line first, and the retry hint', () => {
    expect(text(withId('abc:7', chunkData('Hi\n')))).toBe('id: abc:7\ndata: {"chunk":"Hi\\n","done":false}\n\n')
    expect(text(withId('abc:8', doneData({ finish_reason: 'cancelled' })))).toBe(
      'id: abc:8\ndata: {"chunk":"","done":true,"finish_reason":"cancelled"}\n\n',
    )
    expect(text(RETRY_EVENT)).toBe('retry: 1000\n\n')
  })
})
