/**
 * The helpers the Gemini side of the Responses API shares with the route: custom tools' raw input
 * unwrapped from the `{"input"}` arguments Gemini calls them with, and which `encrypted_content` is
 * a Gemini thought signature.
 */
import { describe, expect, it } from 'vitest'
import { customToolNames, unwrapCustomInput } from '../../src/renderers/responses/custom-tools'
import { reasoningSignature } from '../../src/apis/responses/signatures'

describe('custom tools on a function-only provider', () => {
  it('are named by the request', () => {
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
    expect(unwrapCustomInput(JSON.stringify({ input: patch }))).toBe(patch)
  })

  it('unwrap what a model actually sends: another parameter name, no arguments, raw text, non-strings', () => {
    expect(unwrapCustomInput('{"patch":"x"}')).toBe('x')
    expect(unwrapCustomInput('{}')).toBe('')
    expect(unwrapCustomInput('SELECT 1')).toBe('SELECT 1')
    expect(unwrapCustomInput('{"input":{"a":1}}')).toBe('{"a":1}')
    expect(unwrapCustomInput('{"a":1,"b":2}')).toBe('{"a":1,"b":2}')
  })
})

describe('thought signatures in reasoning items', () => {
  it("encrypted_content is a signature unless it is OpenAI's Fernet token", () => {
    expect(reasoningSignature('CiIBVKhc')).toBe('CiIBVKhc')
    expect(reasoningSignature('gAAAAABpPDIU')).toBeUndefined()
    expect(reasoningSignature(null)).toBeUndefined()
  })
})
