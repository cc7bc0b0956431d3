import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { expectedAnswer, expectedFunctionCall, expectedPrefix, startEmulator, type Emulator } from './server.ts'

let emu: Emulator
beforeAll(async () => {
  emu = await startEmulator()
})
afterAll(() => emu.close())
beforeEach(() => emu.clearRequests())

const post = (body: Record<string, unknown>, key = 'sk-emu') =>
  fetch(`${emu.url}/v1/responses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', ...body }),
  })

type Event = { type: string; sequence_number: number; [key: string]: unknown }

/** The events of a Responses stream: `event:` equals `data.type`, numbers from 0 without gaps. */
async function events(res: Response): Promise<Event[]> {
  const raw = await res.text()
  expect(raw.endsWith('\n\n')).toBe(true)
  return raw
    .slice(0, -2)
    .split('\n\n')
    .map((block, index) => {
      const [event, data, ...rest] = block.split('\n')
      expect(rest).toEqual([])
      const parsed = JSON.parse(data!.slice(6)) as Event
      expect(event).toBe(`event: ${parsed.type}`)
      expect(parsed.sequence_number).toBe(index)
      return parsed
    })
}
const text = (list: Event[]) =>
  list
    .filter((event) => event.type === 'response.output_text.delta')
    .map((event) => event.delta)
    .join('')
const last = (list: Event[]) => list.at(-1) as Event & { response: Record<string, unknown> }

describe('emulator: POST /v1/responses', () => {
  it('streams the answer: created, in_progress, the message events, completed with usage', async () => {
    const prompt = 'Xin chào [emu chunks=4]'
    const res = await post({ input: prompt, stream: true })
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    const list = await events(res)
    expect(list.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...Array(4).fill('response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ])
    expect(text(list)).toBe(expectedAnswer(prompt, { provider: 'openai' }))
    const response = last(list).response
    expect(response).toMatchObject({
      status: 'completed',
      model: 'gpt-4o-mini-2024-07-18',
      usage: { output_tokens: 4 },
    })
    expect(response.id).toMatch(/^resp_[0-9a-f]{50}$/)
    expect(emu.requests()[0]).toMatchObject({
      operation: 'responses',
      stream: true,
      prompt,
      chunksSent: 4,
      outcome: 'ok',
    })
  })

  it('not streamed: one JSON Response; the prompt is the last user message', async () => {
    const input = [
      { role: 'user', content: 'first' },
      { role: 'assistant', content: [{ type: 'output_text', text: 'ok' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Bonjour 🚀' }] },
    ]
    const body = (await (await post({ input })).json()) as Record<string, unknown>
    expect(body).toMatchObject({
      object: 'response',
      status: 'completed',
      output: [
        {
          type: 'message',
          role: 'assistant',
          content: [{ type: 'output_text', text: expectedAnswer('Bonjour 🚀', { provider: 'openai' }) }],
        },
      ],
    })
  })

  it('call=NAME calls a declared function, and answers its output in text', async () => {
    const prompt = 'Weather in Hà Nội? [emu call=get_weather]'
    const tools = [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }]
    const list = await events(await post({ input: prompt, tools, stream: true }))
    const done = list.find((event) => event.type === 'response.output_item.done')!.item as Record<string, string>
    expect(done).toMatchObject({ type: 'function_call', status: 'completed', name: 'get_weather' })
    expect(JSON.parse(done.arguments!)).toEqual(expectedFunctionCall(prompt, 'get_weather').args)
    const next = await post({
      tools,
      input: [
        { role: 'user', content: prompt },
        done,
        { type: 'function_call_output', call_id: done.call_id, output: '31°C' },
      ],
    })
    const answer = (await next.json()) as { output: { content: { text: string }[] }[] }
    expect(answer.output[0]!.content[0]!.text).toBe(
      expectedAnswer('Result of get_weather: "31°C"', { provider: 'openai' }),
    )
  })

  it('call=NAME on a custom tool: a custom_tool_call whose input is the raw text', async () => {
    const list = await events(
      await post({ input: 'SELECT 1 [emu call=sql]', tools: [{ type: 'custom', name: 'sql' }], stream: true }),
    )
    expect(list.map((event) => event.type)).toContain('response.custom_tool_call_input.delta')
    expect(last(list).response.output).toEqual([
      expect.objectContaining({ type: 'custom_tool_call', name: 'sql', input: 'SELECT 1' }),
    ])
  })

  it('length and safety end in response.incomplete; blocked has no output', async () => {
    for (const [fault, reason] of [
      ['length', 'max_output_tokens'],
      ['safety', 'content_filter'],
    ]) {
      const prompt = `Hi [emu fault=${fault} after=2]`
      const list = await events(await post({ input: prompt, stream: true }))
      expect(text(list)).toBe(expectedPrefix(prompt, { provider: 'openai' }))
      expect(last(list).type).toBe('response.incomplete')
      expect(last(list).response).toMatchObject({ status: 'incomplete', incomplete_details: { reason } })
    }
    const blocked = await events(await post({ input: 'Hi [emu blocked]', stream: true }))
    expect(blocked.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.incomplete',
    ])
  })

  it('midstream: an error event (nested), then response.failed', async () => {
    const list = await events(await post({ input: 'Hi [emu fault=midstream after=1]', stream: true }))
    expect(list.slice(-2).map((event) => event.type)).toEqual(['error', 'response.failed'])
    expect(list.at(-2)).toMatchObject({ error: { type: 'server_error', code: 'server_error', param: null } })
    expect(last(list).response).toMatchObject({ status: 'failed', error: { code: 'server_error' } })
  })

  it('refusal: refusal content part and deltas', async () => {
    const list = await events(await post({ input: 'Hi [emu refusal]', stream: true }))
    expect(list.map((event) => event.type)).toContain('response.refusal.delta')
    expect(last(list).response.output).toEqual([
      expect.objectContaining({ content: [{ type: 'refusal', refusal: `I'm sorry, but I can't help with "Hi".` }] }),
    ])
  })

  it('background: created (queued), queued, in_progress; not streamed, a queued Response at once', async () => {
    const list = await events(await post({ input: 'Hi', stream: true, background: true }))
    expect(list.slice(0, 3).map((event) => [event.type, (event.response as { status: string }).status])).toEqual([
      ['response.created', 'queued'],
      ['response.queued', 'queued'],
      ['response.in_progress', 'in_progress'],
    ])
    expect(await (await post({ input: 'Hi', background: true })).json()).toMatchObject({
      status: 'queued',
      output: [],
      usage: null,
    })
  })

  it('status faults and validation errors are JSON errors before any event', async () => {
    const quota = await post({ input: 'Hi [emu quota]', stream: true })
    expect(quota.status).toBe(429)
    expect(((await quota.json()) as { error: { code: string } }).error.code).toBe('insufficient_quota')
    const unknown = await post({ input: 'Hi', system: 'x' })
    expect(unknown.status).toBe(400)
    expect(await unknown.json()).toEqual({
      error: {
        message: "Unknown parameter: 'system'.",
        type: 'invalid_request_error',
        param: 'system',
        code: 'unknown_parameter',
      },
    })
    expect((await post({ input: 'Hi', max_output_tokens: 5 })).status).toBe(400)
    expect((await post({ input: 'Hi' }, 'bad-key')).status).toBe(401)
    expect((await post({ input: [{ role: 'tool', content: 'x' }] })).status).toBe(400)
  })

  it('fail=N counts the prompt across /v1/responses requests', async () => {
    const prompt = 'Retry me [emu fail=1 status=503]'
    expect((await post({ input: prompt, stream: true })).status).toBe(503)
    expect((await post({ input: prompt, stream: true })).status).toBe(200)
  })
})
