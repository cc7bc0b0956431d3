/**
 * The non-streamed Responses renderer: the same canonical parts gathered into one Response object
 * (byte for byte), `incomplete` as a 200, failures as OpenAI's JSON error with the provider's
 * status, and a relayed OpenAI body sent unchanged.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createResponsesWholeRenderer } from '../../src/renderers/responses/whole'
import { playGeminiFixture } from '../support/gemini-parts'
import { DIGITS, OPTIONS, responseJson, testRecord } from '../support/responses-expected'

function play(fixture: string) {
  const renderer = createResponsesWholeRenderer(testRecord(), OPTIONS)
  try {
    renderer.done(playGeminiFixture(fixture, renderer), 1)
  } catch (error) {
    renderer.fail(error)
  }
  return renderer.response()
}

describe('Responses whole renderer', () => {
  it('text: one 200 JSON Response, byte for byte', async () => {
    const reply = play('gemini-basic.sse')
    expect(reply.status).toBe(200)
    expect(reply.headers.get('content-type')).toBe('application/json')
    const text = 'The capital of Wyoming is **Cheyenne**.\n'
    const expected = responseJson({
      status: 'completed',
      completed_at: 1758064440,
      model: 'gemini-2.0-flash',
      output: [
        {
          id: `msg_${DIGITS}0000`,
          type: 'message',
          status: 'completed',
          content: [{ type: 'output_text', annotations: [], logprobs: [], text }],
          role: 'assistant',
        },
      ],
      usage: {
        input_tokens: 7,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 10,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 17,
      },
    })
    expect(await reply.text()).toBe(JSON.stringify(expected, null, 2))
  })

  it('a function call after thoughts, no summary asked: only the call, signed', async () => {
    const body = (await play('gemini-thinking-function-call.sse').json()) as { output: Record<string, unknown>[] }
    expect(body.output).toEqual([
      {
        id: `fc_${DIGITS}0000`,
        type: 'function_call',
        status: 'completed',
        arguments: '{}',
        call_id: expect.stringMatching(/^call_[A-Za-z0-9]{24}~CiIBVKhc/),
        name: 'now',
      },
    ])
  })

  it('a blocked prompt and a safety stop are 200 with status incomplete (content_filter)', async () => {
    for (const fixture of ['gemini-prompt-blocked.sse', 'gemini-safety-finish.sse']) {
      const reply = play(fixture)
      expect(reply.status).toBe(200)
      expect(await reply.json()).toMatchObject({
        status: 'incomplete',
        incomplete_details: { reason: 'content_filter' },
      })
    }
  })

  it('a failure is the OpenAI JSON error with the provider status; written counts the parts received', async () => {
    const renderer = createResponsesWholeRenderer(testRecord(), { ...OPTIONS, reasoningSummary: true })
    expect(() => renderer.response()).toThrow(/has not ended/)
    try {
      playGeminiFixture('gemini-midstream-error-503.constructed.sse', renderer)
    } catch (error) {
      renderer.fail(error)
    }
    expect(renderer.written).toBe(2)
    const reply = renderer.response()
    expect(reply.status).toBe(503)
    expect(await reply.json()).toMatchObject({
      error: {
        type: 'server_error',
        code: 'upstream_stream_error',
        message: expect.stringContaining('(503, service unavailable'),
      },
    })
    expect(renderer.snapshot()).toMatchObject({ status: 'failed' })
  })

  it('a relayed OpenAI body is sent unchanged', async () => {
    const recorded = readFileSync(new URL('../fixtures/openai-responses-text.json', import.meta.url))
    const renderer = createResponsesWholeRenderer(testRecord(), OPTIONS)
    renderer.raw(new Uint8Array(recorded))
    renderer.done({ provider: 'openai', model: 'gpt-4o-mini', finish: 'stop', rawFinish: 'stop' }, 1)
    const reply = renderer.response()
    expect(reply.status).toBe(200)
    expect(Buffer.from(await reply.arrayBuffer()).equals(recorded)).toBe(true)
  })
})
