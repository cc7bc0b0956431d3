import { describe, expect, it } from 'vitest'
import type { PartSink } from '../../canonical/parts'
import { openaiDecoder } from './decoder'

const sink: PartSink = {
  text() {},
  reasoning() {},
  toolCallStart() {},
  toolCallDelta() {},
  toolCallEnd() {},
  raw() {},
}

const event = (delta: Record<string, unknown>) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`

describe('the OpenAI decoder', () => {
  it('bounds what was generated that showed: text, refusal, reasoning, tool names and arguments, 3 per UTF-16 unit', () => {
    const decoder = openaiDecoder('gpt-4.1-mini', sink, 1 << 20)
    const wire = [
      event({ role: 'assistant', content: '' }),
      event({ reasoning_content: 'Think' }),
      event({ content: 'Xin chào' }),
      event({
        tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }],
      }),
      event({ tool_calls: [{ index: 0, function: { arguments: '{"city":"Huế"}' } }] }),
    ].join('')
    decoder.push(new TextEncoder().encode(wire))
    // A stream cut here (no usage yet): the bound is all a settlement has to go on.
    const shown = 'Think'.length + 'Xin chào'.length + 'get_weather'.length + '{"city":"Huế"}'.length
    expect(decoder.generatedBound()).toBe(3 * shown)
    expect(decoder.usage()).toBeUndefined()
  })
})
