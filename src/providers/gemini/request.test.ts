import { describe, expect, it } from 'vitest'
import { textRequest } from '../../canonical/request'
import { geminiBody } from './request'

describe('geminiBody', () => {
  it("declares a function tool's JSON Schema without the root $schema zod puts there", () => {
    const request = {
      ...textRequest('Weather in Huế?'),
      tools: [
        {
          type: 'function' as const,
          name: 'get_weather',
          parameters: {
            $schema: 'http://json-schema.org/draft-07/schema#',
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city'],
            additionalProperties: false,
          },
        },
      ],
    }
    expect(geminiBody(request, 'gemini-2.5-flash').tools).toEqual([
      {
        functionDeclarations: [
          {
            name: 'get_weather',
            parametersJsonSchema: {
              type: 'object',
              properties: { city: { type: 'string' } },
              required: ['city'],
              additionalProperties: false,
            },
          },
        ],
      },
    ])
  })

  it('a custom (freeform) tool takes its raw input as one string argument', () => {
    const request = { ...textRequest('Patch it'), tools: [{ type: 'custom' as const, name: 'apply_patch' }] }
    expect(geminiBody(request, 'gemini-3-flash-preview').tools?.[0]?.functionDeclarations?.[0]).toEqual({
      name: 'apply_patch',
      parametersJsonSchema: {
        type: 'object',
        properties: { input: { type: 'string', description: 'The raw input for the tool.' } },
        required: ['input'],
      },
    })
  })
})
