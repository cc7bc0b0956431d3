/**
 * The Responses request parser's refusals: every parameter or input a translated provider (Gemini)
 * cannot honour is an issue naming the field, which `invalidParams` turns into OpenAI's 400; what
 * the gateway itself needs is checked for every target.
 */
import { describe, expect, it } from 'vitest'
import { invalidParams } from '../../src/renderers/chat/errors'
import { parseResponsesBody } from '../../src/apis/responses/parse'

const IMAGE = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=='

/** The untranslatable issues of a body (which must parse). */
function refusals(body: Record<string, unknown>) {
  const parsed = parseResponsesBody({ model: 'gemini-2.5-flash', input: 'Hi', ...body })
  if ('issues' in parsed) throw new Error(`unexpected issues: ${JSON.stringify(parsed.issues)}`)
  return parsed.untranslatable
}

describe('Responses parser: refusals name the field', () => {
  const cases: [string, Record<string, unknown>, { param: string; message: RegExp }][] = [
    [
      'an image by URL',
      { input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://x/y.png' }] }] },
      { param: 'input[0].content[0].image_url', message: /data: URL/ },
    ],
    [
      'a file by id',
      { input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }] },
      { param: 'input[0].content[0]', message: /file_data/ },
    ],
    [
      'an image in a system message',
      {
        input: [
          { role: 'system', content: [{ type: 'input_image', image_url: `data:image/png;base64,${IMAGE}` }] },
          'x',
        ],
      },
      { param: 'input[0].content[0]', message: /only text/ },
    ],
    ['a bad role', { input: [{ role: 'tool', content: 'x' }] }, { param: 'input[0].role', message: /"tool"/ }],
    [
      'an output without its call',
      { input: [{ type: 'function_call_output', call_id: 'call_x', output: '1' }] },
      { param: 'input[0].call_id', message: /function_call earlier/ },
    ],
    [
      'arguments that are not a JSON object',
      { input: [{ type: 'function_call', call_id: 'c', name: 'f', arguments: '[1]' }] },
      { param: 'input[0].arguments', message: /JSON object/ },
    ],
    [
      'an unknown item type',
      { input: [{ type: 'compaction', encrypted_content: 'x' }] },
      { param: 'input[0].type', message: /unsupported input item type/ },
    ],
    [
      'an item_reference without the store',
      { input: [{ type: 'item_reference', id: 'msg_1' }] },
      { param: 'input[0].id', message: /stored/ },
    ],
    ['no input at all', { input: [] }, { param: 'input', message: /at least one/ }],
    [
      'a hosted tool forced',
      { tools: [{ type: 'web_search' }], tool_choice: { type: 'web_search_preview' } },
      { param: 'tool_choice', message: /hosted tool/ },
    ],
    [
      'a tool choice naming no declared tool',
      { tools: [{ type: 'function', name: 'a' }], tool_choice: { type: 'function', name: 'b' } },
      { param: 'tool_choice', message: /not in tools/ },
    ],
    ['required without tools', { tool_choice: 'required' }, { param: 'tool_choice', message: /needs a function/ }],
    [
      'a function without a name',
      { tools: [{ type: 'function', parameters: {} }] },
      { param: 'tools[0].name', message: /non-empty/ },
    ],
    ['verbosity', { text: { verbosity: 'low' } }, { param: 'text.verbosity', message: /verbosity/ }],
    [
      'a bad text.format',
      { text: { format: { type: 'json_schema' } } },
      { param: 'text.format', message: /json_schema/ },
    ],
    ['a bad effort', { reasoning: { effort: 'extreme' } }, { param: 'reasoning.effort', message: /minimal/ }],
    ['a bad summary', { reasoning: { summary: 'long' } }, { param: 'reasoning.summary', message: /concise/ }],
    ['max_output_tokens 0', { max_output_tokens: 0 }, { param: 'max_output_tokens', message: /integer from 1/ }],
    ['temperature 3', { temperature: 3 }, { param: 'temperature', message: /from 0 to 2/ }],
    ['top_p 2', { top_p: 2 }, { param: 'top_p', message: /from 0 to 1/ }],
    ['metadata with a number', { metadata: { a: 1 } }, { param: 'metadata', message: /string values/ }],
    ['logprobs', { include: ['message.output_text.logprobs'] }, { param: 'include', message: /logprobs/ }],
    ['top_logprobs', { top_logprobs: 5 }, { param: 'top_logprobs', message: /log probabilities/ }],
    ['max_tool_calls', { max_tool_calls: 3 }, { param: 'max_tool_calls', message: /cannot cap/ }],
    ['a conversation', { conversation: 'conv_1' }, { param: 'conversation', message: /previous_response_id/ }],
    ['a stored prompt', { prompt: { id: 'pmpt_1' } }, { param: 'prompt', message: /stored prompts/ }],
    ['a flex service tier', { service_tier: 'flex' }, { param: 'service_tier', message: /service tiers/ }],
    ['an unknown parameter', { frobnicate: true }, { param: 'frobnicate', message: /unrecognized/ }],
  ]
  for (const [what, body, issue] of cases) {
    it(what, () => {
      const issues = refusals(body)
      expect(issues).toContainEqual({ param: issue.param, message: expect.stringMatching(issue.message) })
    })
  }

  it('invalidParams makes them an OpenAI 400 naming the first field', async () => {
    const reply = invalidParams(refusals({ conversation: 'conv_1', temperature: 3 }))
    expect(reply.status).toBe(400)
    expect(await reply.json()).toEqual({
      error: {
        message:
          "conversation: unsupported for Gemini (OpenAI's conversations are not available: use previous_response_id); temperature: must be a number from 0 to 2",
        type: 'invalid_request_error',
        param: 'conversation',
        code: 'invalid_value',
      },
    })
  })

  it('what the gateway itself needs is checked for every target', () => {
    expect(parseResponsesBody('Hi')).toEqual({ issues: [{ param: 'body', message: 'must be a JSON object' }] })
    expect(parseResponsesBody({ input: 'Hi', stream: 'yes', model: 5, previous_response_id: '' })).toEqual({
      issues: [
        { param: 'stream', message: 'must be a boolean' },
        { param: 'model', message: 'must be a non-empty string' },
        { param: 'previous_response_id', message: 'must be a non-empty string' },
      ],
    })
  })
})
