/**
 * The emulator's Gemini function calls (`[emu call=NAME]`), read by the official @google/genai SDK:
 * a declared function is called with a signed functionCall part, its result gets a text answer,
 * and Gemini 3 rejects a history whose function call lost its thought signature.
 */
import { ApiError, GoogleGenAI, type Content } from '@google/genai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  emulatorSignature,
  expectedAnswer,
  expectedFunctionCall,
  startEmulator,
  toolResultPrompt,
  type Emulator,
} from '../../emulator/server.ts'

let emu: Emulator
let ai: GoogleGenAI
const PROMPT = 'Thời tiết ở Hà Nội? [emu call=get_weather thoughts=2]'
const tools = [
  {
    functionDeclarations: [
      { name: 'get_weather', parametersJsonSchema: { type: 'object', properties: { query: { type: 'string' } } } },
    ],
  },
]

beforeAll(async () => {
  emu = await startEmulator()
  ai = new GoogleGenAI({ apiKey: 'emu-key', httpOptions: { baseUrl: emu.url, retryOptions: { attempts: 1 } } })
})
afterAll(() => emu.close())

describe('emulator: Gemini function calls', () => {
  it('streams thoughts, then one signed functionCall with finishReason STOP', async () => {
    const stream = await ai.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: PROMPT,
      config: { tools },
    })
    const parts = []
    let finish: string | undefined
    for await (const chunk of stream) {
      parts.push(...(chunk.candidates?.[0]?.content?.parts ?? []))
      finish = chunk.candidates?.[0]?.finishReason ?? finish
    }
    expect(parts.filter((part) => part.thought)).toHaveLength(2)
    expect(parts.at(-1)).toEqual({
      functionCall: expectedFunctionCall(PROMPT, 'get_weather'),
      thoughtSignature: emulatorSignature('get_weather'),
    })
    expect(expectedFunctionCall(PROMPT, 'get_weather').args).toEqual({ query: 'Thời tiết ở Hà Nội?' })
    expect(finish).toBe('STOP')
  })

  it('answers in text when the function is not declared, or tool calling is off', async () => {
    const plain = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: PROMPT })
    expect(plain.functionCalls).toBeUndefined()
    expect(plain.text).toBe(expectedAnswer(PROMPT, { provider: 'gemini' }))
    const none = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: PROMPT,
      config: { tools, toolConfig: { functionCallingConfig: { mode: 'NONE' as never } } },
    })
    expect(none.functionCalls).toBeUndefined()
  })

  it('the round trip: the function result gets a text answer (unary and stream)', async () => {
    const first = await ai.models.generateContent({
      model: 'gemini-3-flash-preview',
      contents: PROMPT,
      config: { tools },
    })
    expect(first.functionCalls).toEqual([expectedFunctionCall(PROMPT, 'get_weather')])
    const history: Content[] = [
      { role: 'user', parts: [{ text: PROMPT }] },
      first.candidates![0]!.content!,
      {
        role: 'user',
        parts: [{ functionResponse: { name: 'get_weather', response: { temperature: 31, unit: 'C' } } }],
      },
    ]
    const expected = expectedAnswer(toolResultPrompt('get_weather', { temperature: 31, unit: 'C' }), {
      provider: 'gemini',
    })
    const second = await ai.models.generateContent({
      model: 'gemini-3-flash-preview',
      contents: history,
      config: { tools },
    })
    expect(second.text).toBe(expected)
    let streamed = ''
    for await (const chunk of await ai.models.generateContentStream({
      model: 'gemini-3-flash-preview',
      contents: history,
      config: { tools },
    })) {
      streamed += chunk.text ?? ''
    }
    expect(streamed).toBe(expected)
  })

  it('Gemini 3: a function call without its thought signature is a 400', async () => {
    const contents: Content[] = [
      { role: 'user', parts: [{ text: PROMPT }] },
      { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: {} } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temperature: 31 } } }] },
    ]
    const error = await ai.models
      .generateContent({ model: 'gemini-3-flash-preview', contents, config: { tools } })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).status).toBe(400)
    expect((error as ApiError).message).toContain('Function call is missing a thought_signature')
    // Gemini 2.5 accepts the same history.
    const ok = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents, config: { tools } })
    expect(ok.text).toBe(expectedAnswer(toolResultPrompt('get_weather', { temperature: 31 }), { provider: 'gemini' }))
  })
})
