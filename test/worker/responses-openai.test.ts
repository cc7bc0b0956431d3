/**
 * `/v1/responses` in front of OpenAI, on workerd, with the official openai SDK: the client's body is
 * relayed to OpenAI's /v1/responses and the recorded answer comes back byte for byte (only the resume
 * framing added to a stream); background mode is the gateway's own (OpenAI gets an ordinary stream);
 * `previous_response_id` is OpenAI's business; upstream errors keep their status and fields.
 */
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { fixtureBytes, scenario, upstreamClosedEarly, upstreamRequests, waitFor } from './helpers'
import { rejection, sdk } from './openai-api-helpers'
import { postResponses, readEvents, unframe } from './responses-helpers'

const openai = sdk()
const text = async (fixture: string) => new TextDecoder().decode(await fixtureBytes(fixture))
/** The `data` of every event of a recorded Responses stream. */
const recorded = async (fixture: string) =>
  (await text(fixture))
    .split('\n\n')
    .filter((block) => block.includes('data: '))
    .map((block) => JSON.parse(block.slice(block.indexOf('data: ') + 6)) as Record<string, unknown>)

describe('OpenAI through /v1/responses', () => {
  it('streamed: OpenAI’s bytes as they came, each event under id n = sequence_number + 1', async () => {
    const fixture = 'openai-responses-text.sse'
    const model = await scenario({ fixture })
    const body = { model: `openai/${model}`, input: 'Say hello', stream: true, store: false, metadata: { a: 'b' } }
    const { raw, events } = await readEvents(await postResponses(body))
    expect(raw).toBe(await text(fixture))
    expect(events.at(-1)!.type).toBe('response.completed')
    const [request] = await upstreamRequests(model)
    expect(request!.path).toBe('/v1/responses')
    expect(request!.body).toEqual({ ...body, model })
  })

  it('not streamed: OpenAI’s body as it came; the SDK reads output_text', async () => {
    const fixture = 'openai-responses-text.json'
    const model = await scenario({ fixture })
    const response = await postResponses({ model: `openai/${model}`, input: 'Say hello' })
    expect(response.status).toBe(200)
    expect(await response.text()).toBe(await text(fixture))
    const parsed = await openai.responses.create({ model: `openai/${model}`, input: 'Say hello' })
    expect(parsed.output_text.length).toBeGreaterThan(0)
  })

  it('a function call and a custom tool call are relayed as they came', async () => {
    for (const fixture of ['openai-responses-function-call.sse', 'openai-responses-custom-tool.sse']) {
      const model = await scenario({ fixture })
      const { raw } = await readEvents(await postResponses({ model: `openai/${model}`, input: 'x', stream: true }))
      expect(raw).toBe(await text(fixture))
    }
  })

  it('previous_response_id and item references go to OpenAI as they are: OpenAI keeps its conversations', async () => {
    const model = await scenario({ fixture: 'openai-responses-text.sse' })
    const input = [{ type: 'item_reference', id: 'msg_0976c6df58902d6a0068c9ef349f8881968e62cd0dd40b45bf' }]
    const stream = await openai.responses.create({
      model: `openai/${model}`,
      previous_response_id: 'resp_0976c6df58902d6a0068c9ef349f8881968e62cd0dd40b45bf',
      input: input as never,
      stream: true,
    })
    for await (const _event of stream) {
    }
    const [request] = await upstreamRequests(model)
    expect(request!.body).toMatchObject({
      previous_response_id: 'resp_0976c6df58902d6a0068c9ef349f8881968e62cd0dd40b45bf',
      input,
    })
  })

  it('a failure OpenAI reports in the stream reaches the SDK as APIError, the bytes as they came', async () => {
    const fixture = 'openai-responses-failed.reframed.sse'
    const model = await scenario({ fixture })
    const { raw } = await readEvents(await postResponses({ model: `openai/${model}`, input: 'x', stream: true }))
    expect(raw).toBe(await text(fixture))
    const error = await rejection(
      (async () => {
        for await (const _event of await openai.responses.create({
          model: `openai/${model}`,
          input: 'x',
          stream: true,
        })) {
        }
      })(),
    )
    expect(error).toBeInstanceOf(OpenAI.APIError)
    expect((error as Error).message).toContain('You exceeded your current quota')
  })

  const errors: [string, number, abstract new (...args: never[]) => Error][] = [
    ['openai-responses-error-400-stream-request.json', 400, OpenAI.BadRequestError],
    ['openai-error-401-invalid-api-key.json', 502, OpenAI.InternalServerError],
    ['openai-error-404-model-not-found.json', 404, OpenAI.NotFoundError],
    ['openai-error-429-rate-limit.json', 429, OpenAI.RateLimitError],
    ['openai-error-503-overloaded.json', 503, OpenAI.InternalServerError],
  ]
  for (const [fixture, status, ErrorClass] of errors) {
    it(`${fixture} → ${ErrorClass.name} ${status}, streamed and not, the key never shown`, async () => {
      const model = await scenario({ fixture })
      const upstream = JSON.parse(await text(fixture)) as { error: Record<string, unknown> }
      for (const stream of [true, false]) {
        const error = (await rejection(
          openai.responses.create({ model: `openai/${model}`, input: 'x', stream }),
        )) as InstanceType<typeof OpenAI.APIError>
        expect(error).toBeInstanceOf(ErrorClass)
        expect(error.status).toBe(status)
        expect(error.message).toMatch(new RegExp(`^${status} openai: `))
        expect(error.message).not.toContain('sk-test-openai-key')
        if (status !== 502) expect(error.error).toMatchObject({ type: upstream.error.type, code: upstream.error.code })
      }
    })
  }
})

describe('OpenAI in background mode (the gateway’s own)', () => {
  it('OpenAI gets an ordinary stream; the client gets OpenAI’s response at once, then GET and the replay by its id', async () => {
    const fixture = 'openai-responses-text.sse'
    const model = await scenario({ fixture })
    const events = await recorded(fixture)
    const created = events[0]!.response as Record<string, unknown>
    const completed = events.at(-1)!.response as Record<string, unknown>
    const queued = await openai.responses.create({ model: `openai/${model}`, input: 'Say hello', background: true })
    expect(queued).toMatchObject({ ...created, background: true })
    const [request] = await upstreamRequests(model)
    expect(request!.body).toEqual({ model, input: 'Say hello', stream: true })
    const final = await waitFor(async () => {
      const current = await openai.responses.retrieve(queued.id)
      return current.status === 'completed' ? current : undefined
    }, 10_000)
    expect(final).toMatchObject(completed)
    const after = 3
    const replay = await openai.responses.retrieve(queued.id, { stream: true, starting_after: after })
    const seen: unknown[] = []
    for await (const event of replay) seen.push(event)
    expect(seen).toEqual(events.slice(after + 1))
  })

  it('with stream: true the client reads OpenAI’s events; cancel closes the upstream and ends it cancelled', async () => {
    const fixture = 'openai-responses-text.sse'
    const model = await scenario({ fixture, stallAfterWrites: 4 })
    const response = await postResponses({
      model: `openai/${model}`,
      input: 'Say hello',
      background: true,
      stream: true,
    })
    const streamId = response.headers.get('x-stream-id')!
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    let wire = ''
    while ((wire.match(/\ndata: /g) ?? []).length < 4) wire += decoder.decode((await reader.read()).value)
    await reader.cancel()
    const head = wire.split('\n\n').slice(0, 5).join('\n\n')
    expect(`${unframe(`${head}\n\n`, streamId)}`).toBe(
      `${(await text(fixture)).split('\n\n').slice(0, 4).join('\n\n')}\n\n`,
    )
    const id = ((await recorded(fixture))[0]!.response as { id: string }).id
    const cancelled = await openai.responses.cancel(id)
    expect(cancelled).toMatchObject({ id, status: 'cancelled', usage: null })
    expect((await openai.responses.cancel(id)).status).toBe('cancelled')
    expect(await upstreamClosedEarly(model)).toBeDefined()
  })
})
