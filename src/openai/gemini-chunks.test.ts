import type { GenerateContentResponse } from '@google/genai'
import { describe, expect, it } from 'vitest'
import { createChunkTranslator } from './gemini-chunks'

const call = (name: string, args: Record<string, unknown>, thoughtSignature?: string) => ({
  functionCall: { name, args },
  ...(thoughtSignature ? { thoughtSignature } : {}),
})
const chunk = (parts: object[], finishReason?: string): GenerateContentResponse =>
  ({
    candidates: [{ content: { role: 'model', parts }, ...(finishReason ? { finishReason } : {}) }],
    responseId: 'r1',
    modelVersion: 'models/gemini-x',
  }) as GenerateContentResponse

const payloads = (frames: string) =>
  frames
    .split('\n\n')
    .filter(Boolean)
    .map((frame) => frame.slice(6))
    .map((data) =>
      data === '[DONE]'
        ? data
        : (JSON.parse(data) as { choices: { delta: Record<string, unknown>; finish_reason: string | null }[] }),
    )

describe('createChunkTranslator', () => {
  it('gives each function call its own index and id, across chunks, and ends with tool_calls', () => {
    const chunks = createChunkTranslator({ model: 'gemini-x', includeUsage: false, created: 1 })
    const first = payloads(chunks.push(chunk([{ text: 'Let me check. ' }, call('a', { x: 1 }, 'sig')])))[0]
    const second = payloads(chunks.push(chunk([call('b', {}), call('c', { y: 'ü' })], 'STOP')))[0]
    const end = payloads(chunks.end())
    expect(first).toMatchObject({ id: 'chatcmpl-r1', model: 'gemini-x' })
    if (first === undefined || first === '[DONE]' || second === undefined || second === '[DONE]')
      throw new Error('missing frame')
    expect(first.choices[0]!.delta).toEqual({
      role: 'assistant',
      content: 'Let me check. ',
      tool_calls: [
        {
          index: 0,
          id: expect.stringMatching(/^call_\w{24}~sig$/),
          type: 'function',
          function: { name: 'a', arguments: '{"x":1}' },
        },
      ],
    })
    const calls = second.choices[0]!.delta.tool_calls as {
      index: number
      id: string
      function: { arguments: string }
    }[]
    expect(calls.map((item) => item.index)).toEqual([1, 2])
    expect(calls[0]!.id).toMatch(/^call_\w{24}$/)
    expect(new Set([calls[0]!.id, calls[1]!.id]).size).toBe(2)
    expect(calls[1]!.function.arguments).toBe('{"y":"ü"}')
    expect(end).toEqual([
      expect.objectContaining({ choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] }),
      '[DONE]',
    ])
  })

  it('skips thought parts and empty text, and sends nothing for a chunk that holds only those', () => {
    const chunks = createChunkTranslator({ model: 'gemini-x', includeUsage: false, created: 1 })
    expect(chunks.push(chunk([{ text: 'Planning…', thought: true }]))).toBe('')
    expect(chunks.push(chunk([{ text: '', thoughtSignature: 'abc' }]))).toBe('')
    expect(payloads(chunks.push(chunk([{ text: 'Hi' }], 'MAX_TOKENS')))[0]).toMatchObject({
      choices: [{ delta: { role: 'assistant', content: 'Hi' } }],
    })
    expect(payloads(chunks.end())[0]).toMatchObject({ choices: [{ delta: {}, finish_reason: 'length' }] })
  })

  it('reports a cut stream and finish reasons OpenAI has no word for as errors', () => {
    const cut = createChunkTranslator({ model: 'gemini-x', includeUsage: false, created: 1 })
    cut.push(chunk([{ text: 'Hi' }]))
    expect(() => cut.end()).toThrow(/gemini: the connection to the provider closed before the answer was complete/)
    const odd = createChunkTranslator({ model: 'gemini-x', includeUsage: false, created: 1 })
    odd.push(chunk([], 'MALFORMED_FUNCTION_CALL'))
    expect(() => odd.end()).toThrow(/finish reason MALFORMED_FUNCTION_CALL/)
    const safety = createChunkTranslator({ model: 'gemini-x', includeUsage: false, created: 1 })
    safety.push(chunk([{ text: 'No' }], 'SAFETY'))
    expect(payloads(safety.end())[0]).toMatchObject({ choices: [{ finish_reason: 'content_filter' }] })
  })
})
