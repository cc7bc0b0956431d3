/**
 * The Responses request parser: every input item kind to the canonical request, the tools and
 * parameters, and what is dropped (hosted tools) or skipped (earlier hosted-tool items).
 */
import { describe, expect, it } from 'vitest'
import { parseResponsesBody } from '../../src/apis/responses/parse'

const IMAGE = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=='
const SIGNATURE = 'CiIBVKhc7vB+vaaq6rA/KC79Ts7iXagIOA4EBOyBFDpl+pxP'

function ok(body: unknown, context?: Parameters<typeof parseResponsesBody>[1]) {
  const parsed = parseResponsesBody(body, context)
  if ('issues' in parsed) throw new Error(`unexpected issues: ${JSON.stringify(parsed.issues)}`)
  return parsed
}

describe('Responses parser: input', () => {
  it('a string input is one user message; the body rides along as passthrough; defaults', () => {
    const body = { model: 'gemini-2.5-flash', input: 'Xin chào', instructions: 'Be brief.' }
    const parsed = ok({ ...body, fallback: false })
    expect(parsed.request).toEqual({
      messages: [
        { role: 'system', parts: [{ type: 'text', text: 'Be brief.' }] },
        { role: 'user', parts: [{ type: 'text', text: 'Xin chào' }] },
      ],
      passthrough: { api: 'responses', body },
    })
    expect(parsed.untranslatable).toEqual([])
    expect(parsed.options).toMatchObject({
      model: 'gemini-2.5-flash',
      stream: false,
      fallback: false,
      background: false,
      store: true,
      include: [],
      reasoningSummary: false,
      parallelToolCalls: true,
      droppedTools: [],
      skippedItems: [],
      customTools: [],
    })
    expect(parsed.options.echo).toMatchObject({
      instructions: 'Be brief.',
      store: true,
      tool_choice: 'auto',
      tools: [],
    })
  })

  it('messages of every role, text and inline images and files', () => {
    const parsed = ok({
      input: [
        { role: 'developer', content: 'Answer in French.' },
        { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'Be kind.' }] },
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'What is this?' },
            { type: 'input_image', image_url: `data:image/png;base64,${IMAGE}`, detail: 'auto' },
            { type: 'input_file', filename: 'a.pdf', file_data: 'JVBERi0=' },
          ],
        },
        {
          type: 'message',
          role: 'assistant',
          id: 'msg_1',
          status: 'completed',
          content: [{ type: 'output_text', text: 'Un pixel.', annotations: [], logprobs: [] }],
        },
      ],
    })
    expect(parsed.request.messages).toEqual([
      { role: 'system', parts: [{ type: 'text', text: 'Answer in French.' }] },
      { role: 'system', parts: [{ type: 'text', text: 'Be kind.' }] },
      {
        role: 'user',
        parts: [
          { type: 'text', text: 'What is this?' },
          { type: 'file', mediaType: 'image/png', data: IMAGE },
          { type: 'file', mediaType: 'application/pdf', data: 'JVBERi0=' },
        ],
      },
      { role: 'assistant', parts: [{ type: 'text', text: 'Un pixel.' }] },
    ])
  })

  it('a function call round trip: the call (signature from its call_id) and its output by name', () => {
    const parsed = ok({
      input: [
        { role: 'user', content: 'What is the capital of PotatoLand?' },
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Look it up.' }] },
        {
          type: 'function_call',
          call_id: `call_abc~${SIGNATURE}`,
          name: 'get_capital',
          arguments: '{"country":"PotatoLand"}',
          status: null,
        },
        { type: 'function_call', call_id: 'call_def', name: 'get_capital', arguments: '' },
        { type: 'function_call_output', call_id: `call_abc~${SIGNATURE}`, output: 'Potato City' },
        { type: 'function_call_output', call_id: 'call_def', output: [{ type: 'input_text', text: 'Tater Town' }] },
      ],
    })
    expect(parsed.request.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        parts: [
          { type: 'reasoning', text: 'Look it up.' },
          {
            type: 'tool-call',
            id: 'call_abc',
            name: 'get_capital',
            input: '{"country":"PotatoLand"}',
            signature: SIGNATURE,
          },
          { type: 'tool-call', id: 'call_def', name: 'get_capital', input: '{}' },
        ],
      },
      {
        role: 'tool',
        parts: [
          { type: 'tool-result', id: 'call_abc', name: 'get_capital', output: 'Potato City' },
          { type: 'tool-result', id: 'call_def', name: 'get_capital', output: 'Tater Town' },
        ],
      },
    ])
  })

  it('custom tool calls keep their raw input; their outputs find their name', () => {
    const parsed = ok({
      input: [
        { role: 'user', content: 'List the users' },
        { type: 'custom_tool_call', call_id: 'call_sql', name: 'execute_sql', input: 'SELECT * FROM users;' },
        { type: 'custom_tool_call_output', call_id: 'call_sql', output: '[{"id":1}]' },
      ],
    })
    expect(parsed.request.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        parts: [
          { type: 'tool-call', id: 'call_sql', name: 'execute_sql', input: 'SELECT * FROM users;', custom: true },
        ],
      },
      { role: 'tool', parts: [{ type: 'tool-result', id: 'call_sql', name: 'execute_sql', output: '[{"id":1}]' }] },
    ])
  })

  it("reasoning items: a Gemini signature in encrypted_content goes to the call after it; OpenAI's own is not one", () => {
    const parsed = ok({
      input: [
        { role: 'user', content: 'Now?' },
        { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: SIGNATURE },
        { type: 'function_call', call_id: 'call_1', name: 'now', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: '12:00' },
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'Done.' }], encrypted_content: 'gAAAAABpPDIU' },
      ],
    })
    expect(parsed.request.messages[1]).toEqual({
      role: 'assistant',
      parts: [{ type: 'tool-call', id: 'call_1', name: 'now', input: '{}', signature: SIGNATURE }],
    })
    expect(parsed.request.messages[3]).toEqual({ role: 'assistant', parts: [{ type: 'reasoning', text: 'Done.' }] })
  })

  it('previous turns from the store come first; item_reference reads a stored item', () => {
    const history = [
      { role: 'user', content: 'Now?' },
      { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'now', arguments: '{}' },
    ]
    const parsed = ok(
      {
        previous_response_id: 'resp_1',
        input: [
          { type: 'item_reference', id: 'fc_1' },
          { type: 'function_call_output', call_id: 'call_1', output: '12:00' },
        ],
      },
      { history: history.slice(0, 1), storedItems: new Map([['fc_1', history[1]]]) },
    )
    expect(parsed.options.previousResponseId).toBe('resp_1')
    expect(parsed.request.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'tool'])
    expect(parsed.untranslatable).toEqual([])
  })

  it("earlier hosted-tool items are skipped and reported, since Gemini can't use them", () => {
    const parsed = ok({
      input: [
        { role: 'user', content: 'Weather?' },
        { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search' } },
        { role: 'assistant', content: 'Sunny.' },
      ],
    })
    expect(parsed.options.skippedItems).toEqual(['web_search_call'])
    expect(parsed.request.messages.map((message) => message.role)).toEqual(['user', 'assistant'])
  })
})

describe('Responses parser: tools and parameters', () => {
  it('function and custom tools; hosted tools dropped and listed; tool_choice forms', () => {
    const grammar = 'start: "a"+'
    const parsed = ok({
      input: 'Hi',
      tools: [
        { type: 'function', name: 'now', description: '', parameters: { type: 'object' }, strict: true },
        {
          type: 'custom',
          name: 'apply_patch',
          description: 'Edit files.',
          format: { type: 'grammar', syntax: 'lark', definition: grammar },
        },
        { type: 'web_search' },
        { type: 'namespace', name: 'files' },
        { type: 'web_search' },
      ],
      tool_choice: {
        type: 'allowed_tools',
        mode: 'required',
        tools: [{ type: 'function', name: 'now' }, { type: 'web_search' }],
      },
      parallel_tool_calls: false,
    })
    expect(parsed.request.tools).toEqual([
      { type: 'function', name: 'now', parameters: { type: 'object' } },
      {
        type: 'custom',
        name: 'apply_patch',
        description: `Edit files.\n\nThe input must match this Lark grammar:\n${grammar}`,
      },
    ])
    expect(parsed.request.toolChoice).toEqual({ allowed: ['now'], mode: 'required' })
    expect(parsed.options).toMatchObject({
      droppedTools: ['web_search', 'namespace'],
      customTools: ['apply_patch'],
      parallelToolCalls: false,
    })
    expect(parsed.options.echo.tools.map((tool) => tool.type)).toEqual(['function', 'custom'])
    const choice = (tool_choice: unknown) =>
      ok({ input: 'Hi', tools: [{ type: 'custom', name: 'x' }], tool_choice }).request.toolChoice
    expect([choice('auto'), choice('none'), choice('required'), choice({ type: 'custom', name: 'x' })]).toEqual([
      'auto',
      'none',
      'required',
      { name: 'x' },
    ])
  })

  it('text.format, reasoning, sampling and the accepted no-effect parameters', () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } } }
    const parsed = ok({
      input: 'Hi',
      text: { format: { type: 'json_schema', name: 'city', schema, strict: true }, verbosity: 'medium' },
      reasoning: { effort: 'high', summary: 'detailed' },
      max_output_tokens: 512,
      temperature: 0.2,
      top_p: 0.9,
      metadata: { session: 'a' },
      store: false,
      stream: true,
      include: ['reasoning.encrypted_content'],
      prompt_cache_key: 'conversation-1',
      prompt_cache_retention: '24h',
      safety_identifier: 'u1',
      user: 'u1',
      truncation: 'auto',
      service_tier: 'auto',
      stream_options: { include_obfuscation: false },
    })
    expect(parsed.untranslatable).toEqual([])
    expect(parsed.request).toMatchObject({
      responseFormat: { type: 'json', schema, name: 'city' },
      reasoningEffort: 'high',
      includeReasoning: true,
      maxOutputTokens: 512,
      temperature: 0.2,
      topP: 0.9,
    })
    expect(parsed.options).toMatchObject({
      stream: true,
      store: false,
      reasoningSummary: true,
      include: ['reasoning.encrypted_content'],
    })
    expect(ok({ input: 'Hi', text: { format: { type: 'json_object' } } }).request.responseFormat).toEqual({
      type: 'json',
    })
  })
})
