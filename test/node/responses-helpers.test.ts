/**
 * The helpers the Gemini side of the Responses API shares with the route: custom tools declared as
 * one-string-parameter functions (wrapped and unwrapped), and thought signatures inside call ids.
 */
import { describe, expect, it } from 'vitest'
import { callIdWithSignature, reasoningSignature, signatureOfCallId } from '../../src/apis/responses/call-id'
import {
  customToolAsFunction,
  customToolNames,
  unwrapCustomInput,
  wrapCustomInput,
} from '../../src/apis/responses/custom-tools'

describe('custom tools on a function-only provider', () => {
  it('are declared as a function with one required string parameter, input', () => {
    expect(customToolAsFunction({ type: 'custom', name: 'apply_patch', description: 'Edit files.' })).toEqual({
      type: 'function',
      name: 'apply_patch',
      description: 'Edit files.',
      parameters: {
        type: 'object',
        properties: {
          input: { type: 'string', description: 'The raw input text of this tool, exactly as the tool expects it.' },
        },
        required: ['input'],
      },
    })
    expect([
      ...customToolNames({
        tools: [
          { type: 'function', name: 'a' },
          { type: 'custom', name: 'b' },
        ],
      }),
    ]).toEqual(['b'])
  })

  it('round-trip their raw input, whatever its characters', () => {
    const patch = '*** Begin Patch\n+"quoted" \\ tab\t 🚀\n*** End Patch'
    expect(unwrapCustomInput(wrapCustomInput(patch))).toBe(patch)
  })

  it('unwrap what a model actually sends: another parameter name, no arguments, raw text, non-strings', () => {
    expect(unwrapCustomInput('{"patch":"x"}')).toBe('x')
    expect(unwrapCustomInput('{}')).toBe('')
    expect(unwrapCustomInput('SELECT 1')).toBe('SELECT 1')
    expect(unwrapCustomInput('{"input":{"a":1}}')).toBe('{"a":1}')
    expect(unwrapCustomInput('{"a":1,"b":2}')).toBe('{"a":1,"b":2}')
  })
})

describe('thought signatures in call ids', () => {
  it('ride after a ~, once, on a call_ id', () => {
    expect(callIdWithSignature('call_1', 'U0lH')).toBe('call_1~U0lH')
    expect(callIdWithSignature('call_1~U0lH', 'U0lH')).toBe('call_1~U0lH')
    expect(callIdWithSignature('abc', 'U0lH')).toBe('call_abc~U0lH')
    expect(callIdWithSignature('call_1')).toBe('call_1')
    expect(signatureOfCallId('call_1~U0lH')).toBe('U0lH')
    expect(signatureOfCallId('call_1')).toBeUndefined()
    expect(signatureOfCallId('other~U0lH')).toBeUndefined()
  })

  it("a reasoning item's encrypted_content is a signature unless it is OpenAI's Fernet token", () => {
    expect(reasoningSignature('CiIBVKhc')).toBe('CiIBVKhc')
    expect(reasoningSignature('gAAAAABpPDIU')).toBeUndefined()
    expect(reasoningSignature(null)).toBeUndefined()
  })
})
