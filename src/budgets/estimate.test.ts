import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  estimateChatCompletionInput,
  estimateChatInput,
  estimateInputTokens,
  MEDIA_PART_TOKENS,
  MESSAGE_OVERHEAD_TOKENS,
  REQUEST_OVERHEAD_TOKENS,
  TOOL_OVERHEAD_TOKENS,
  utf8Length,
} from './estimate'
import { tokensFromUsage, upperSpent } from './spent'

const encoder = new TextEncoder()

describe('the input estimate', () => {
  it('utf8Length is the UTF-8 length TextEncoder gives, for any string (lone surrogates included)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => utf8Length(text) === encoder.encode(text).length),
      { numRuns: 2000 },
    )
    expect(utf8Length('Xin chào 你好 🚀')).toBe(9 + 1 + 6 + 1 + 4)
  })

  it('counts every text byte, plus the overheads per message and request', () => {
    expect(estimateInputTokens(['Be brief.', 'Xin chào!'], { messages: 2 })).toBe(19 + 2 * 8 + 32)
    expect(estimateChatInput({ prompt: 'Hi', system: 'Be brief.' })).toBe(11 + 2 * 8 + 32)
    const messages = [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
    ]
    expect(estimateChatInput({ prompt: 'And now?', messages })).toBe(
      8 + 2 + 6 + 3 * MESSAGE_OVERHEAD_TOKENS + REQUEST_OVERHEAD_TOKENS,
    )
  })

  it('/v1: the whole body as JSON (text, tools, tool calls, base64), plus messages, tools and media parts', () => {
    const body = {
      model: 'gemini-2.5-flash',
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
      ],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
    }
    expect(estimateChatCompletionInput(body)).toBe(
      encoder.encode(JSON.stringify(body)).length +
        2 * MESSAGE_OVERHEAD_TOKENS +
        TOOL_OVERHEAD_TOKENS +
        MEDIA_PART_TOKENS +
        REQUEST_OVERHEAD_TOKENS,
    )
  })

  it('is never below the UTF-8 bytes of the texts a request sends', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme' })), fc.string({ unit: 'grapheme' }), (turns, prompt) => {
        const messages = turns.map((content) => ({ role: 'user', content }))
        const bytes = [prompt, ...turns].reduce((sum, text) => sum + encoder.encode(text).length, 0)
        const asApi = estimateChatInput({ prompt, messages })
        const asV1 = estimateChatCompletionInput({
          model: 'm',
          messages: [...messages, { role: 'user', content: prompt }],
        })
        return asApi >= bytes && asV1 >= bytes
      }),
    )
  })
})

describe('what a request spent', () => {
  it("the provider's usage: total_tokens, else the sum of what it gave (too high, never too low)", () => {
    expect(tokensFromUsage({ prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 })).toBe(16)
    expect(tokensFromUsage({ prompt_tokens: 9, completion_tokens: 7, reasoning_tokens: 5 })).toBe(21)
    expect(tokensFromUsage({})).toBeUndefined()
    expect(tokensFromUsage(undefined)).toBeUndefined()
  })

  it('without usage: input estimate + the bytes of the text, or the whole ceiling with hidden reasoning', () => {
    const reservation = { input: 120, output: 300 }
    expect(upperSpent(reservation, { textSent: ['Xin ', 'chào'] })).toBe(120 + 9)
    expect(upperSpent(reservation, { textSent: ['x'.repeat(1000)] })).toBe(420)
    expect(upperSpent(reservation, { hiddenReasoning: true })).toBe(420)
    expect(upperSpent(reservation)).toBe(120)
    // Usage so far counts when it is more, even past the reservation.
    expect(upperSpent(reservation, { usage: { total_tokens: 200 }, textSent: ['Hi'] })).toBe(200)
    expect(upperSpent(reservation, { usage: { total_tokens: 500 } })).toBe(500)
  })
})
