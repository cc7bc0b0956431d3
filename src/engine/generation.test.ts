import { afterEach, describe, expect, it } from 'vitest'
import { answering, FakeBody, fakeProviders, type Reply } from '../../test/worker/fake-provider'
import type { Renderer } from '../canonical/renderer'
import { textRequest } from '../canonical/request'
import { runToEnd } from '../delivery/direct-body'
import type { ProviderName } from '../env'
import { ProviderError, upstreamStatusError } from '../providers/errors'
import type { ProviderRegistry } from '../providers/registry'
import { Generation, type GenerationLimits } from './generation'

/** A renderer that notes what the engine hands it; `written` counts text parts. */
function recorder() {
  const log: unknown[][] = []
  let written = 0
  const renderer: Renderer = {
    get written() {
      return written
    },
    begin: (provider, model) => log.push(['begin', `${provider}:${model}`]),
    text(delta) {
      written++
      log.push(['text', delta])
    },
    reasoning() {},
    toolCallStart() {},
    toolCallDelta() {},
    toolCallEnd() {},
    raw() {},
    done: (result, attempts) => log.push(['done', `${result.provider}:${result.model}`, attempts]),
    fail: (error) => log.push(['fail', (error as ProviderError).kind, (error as Error).message]),
    cancelled: () => log.push(['cancelled']),
  }
  return { renderer, log }
}

const started: Generation[] = []
afterEach(() => {
  for (const generation of started.splice(0)) generation.abort()
})

/** A generation over `targets` ("provider:model"), with short limits unless given. */
function generation(providers: ProviderRegistry, targets: string[], limits: Partial<GenerationLimits> = {}) {
  const { renderer, log } = recorder()
  const plan = {
    providers,
    request: textRequest('Hi'),
    targets: targets.map((target) => {
      const [provider, model] = target.split(':') as [ProviderName, string]
      return { provider, model }
    }),
    limits: { retries: 1, firstTextTimeoutMs: 5_000, idleTimeoutMs: 5_000, maxDurationMs: 15_000, ...limits },
  }
  const made = new Generation(plan, renderer)
  started.push(made)
  return { generation: made, log }
}

/** A 503 to retry at once (its Retry-After is 0). */
const overloaded = (provider: ProviderName = 'openai') =>
  upstreamStatusError(provider, 503, 'Overloaded', { retryAfterMs: 0 })
const outcomes = (made: Generation) =>
  made.attempts.map(({ provider, model, outcome }) => `${provider}:${model} ${outcome}`)

describe('the engine retries and falls back only while nothing reached the client', () => {
  it('a 503 is retried; a failure after the first text is not, though retries are left', async () => {
    const { providers, opened } = fakeProviders((_, n): Reply => {
      if (n === 0) return overloaded()
      return new FakeBody((body, pull) => (pull === 1 ? body.send('Hi') : body.fail(new TypeError('reset'))))
    })
    const { generation: made, log } = generation(providers, ['openai:m'], { retries: 3 })
    await runToEnd(made)
    expect(log).toEqual([
      ['begin', 'openai:m'],
      ['begin', 'openai:m'],
      ['text', 'Hi'],
      [
        'fail',
        'truncated',
        'openai: the connection to the provider closed before the answer was complete. The answer is incomplete; retry.',
      ],
    ])
    expect(opened).toHaveLength(2)
    expect(outcomes(made)).toEqual(['openai:m upstream_status', 'openai:m truncated'])
    expect(made.succeeded).toBe(false)
  })

  it('falls back in the plan’s order after the retries, skipping a provider without a key', async () => {
    const { providers, opened } = fakeProviders(
      (attempt, n): Reply => (n < 4 ? overloaded(attempt.provider) : answering('Hello')),
      ['openai'],
    )
    const targets = ['gemini:a', 'openai:b', 'gemini:c', 'gemini:d']
    const { generation: made, log } = generation(providers, targets)
    await runToEnd(made)
    expect(opened.map(({ provider, model }) => `${provider}:${model}`)).toEqual([
      'gemini:a',
      'gemini:a',
      'gemini:c',
      'gemini:c',
      'gemini:d',
    ])
    expect(log.slice(-2)).toEqual([
      ['text', 'Hello'],
      ['done', 'gemini:d', 5],
    ])
    expect(made.succeeded).toBe(true)
  })

  it('never retries nor falls back after a rejected request (400) or a blocked prompt', async () => {
    for (const error of [
      upstreamStatusError('gemini', 400, 'Invalid argument'),
      new ProviderError('gemini', 'blocked', 'gemini: the prompt was blocked.'),
    ]) {
      const { providers, opened } = fakeProviders(() => error)
      const { generation: made, log } = generation(providers, ['gemini:a', 'openai:b'], { retries: 2 })
      await runToEnd(made)
      expect(opened).toHaveLength(1)
      expect(log).toEqual([
        ['begin', 'gemini:a'],
        ['fail', error.kind, error.message],
      ])
      expect(made.failedBeforeOutput).toBe(true)
    }
  })
})

describe('the engine’s clocks', () => {
  it('no first text within FIRST_TEXT_TIMEOUT_MS: that attempt is closed and retried', async () => {
    const { providers, opened } = fakeProviders((_, n) => (n === 0 ? new FakeBody() : answering('Late')))
    const { generation: made, log } = generation(providers, ['openai:m'], { firstTextTimeoutMs: 150 })
    await runToEnd(made)
    expect(opened[0]!.body!.closed).toBe(true)
    expect(outcomes(made)).toEqual(['openai:m first_text_timeout', 'openai:m done'])
    expect(log.slice(-2)).toEqual([
      ['text', 'Late'],
      ['done', 'openai:m', 2],
    ])
  })

  it('an upstream silent for UPSTREAM_IDLE_TIMEOUT_MS while the engine waits: the answer fails, the upstream is closed', async () => {
    // The body would end well after the cut: a timeout is a failure even when the decoder has no end to check.
    const { providers, opened } = fakeProviders(() => new FakeBody((body, pull) => pull === 1 && body.send('Hi')))
    const { generation: made, log } = generation(providers, ['openai:m', 'gemini:g'], { idleTimeoutMs: 100 })
    await runToEnd(made)
    expect(log).toEqual([
      ['begin', 'openai:m'],
      ['text', 'Hi'],
      [
        'fail',
        'timeout',
        'openai: no data from the provider for 0.1 s (UPSTREAM_IDLE_TIMEOUT_MS), so the request was stopped. The answer is incomplete; retry later.',
      ],
    ])
    expect(opened).toHaveLength(1)
    expect(opened[0]!.body!.closed).toBe(true)
  })

  it('a client that does not read for longer than UPSTREAM_IDLE_TIMEOUT_MS does not time out the upstream', async () => {
    const body = answering('Hi', ' there')
    const { providers } = fakeProviders(() => body)
    const { generation: made, log } = generation(providers, ['openai:m'], { idleTimeoutMs: 50 })
    expect(await made.step()).toBe(true)
    // The client reads nothing for a while: the engine is not asked for a step, so it reads nothing either.
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(body.pulls).toBe(1)
    await runToEnd(made)
    expect(log).toEqual([
      ['begin', 'openai:m'],
      ['text', 'Hi'],
      ['text', ' there'],
      ['done', 'openai:m', 1],
    ])
  })

  it('MAX_DURATION_MS ends an answer that keeps coming, with no fallback', async () => {
    const trickle = () =>
      new FakeBody(async (body) => {
        await new Promise((resolve) => setTimeout(resolve, 20))
        body.send('.')
      })
    const { providers, opened } = fakeProviders(trickle)
    const { generation: made, log } = generation(providers, ['openai:m', 'gemini:g'], { maxDurationMs: 300 })
    await runToEnd(made)
    expect(log.at(-1)).toEqual([
      'fail',
      'max_duration',
      'openai: the answer took longer than 0.3 s (MAX_DURATION_MS), so the request was stopped. Ask for a shorter answer or retry.',
    ])
    expect(log.filter(([kind]) => kind === 'text').length).toBeGreaterThan(0)
    expect(opened).toHaveLength(1)
    expect(opened[0]!.body!.closed).toBe(true)
  })

  it('MAX_DURATION_MS before any output: no retry and no fallback', async () => {
    const { providers, opened } = fakeProviders(() => 'hang')
    const { generation: made, log } = generation(providers, ['openai:m', 'gemini:g'], { maxDurationMs: 200 })
    await runToEnd(made)
    expect(opened).toHaveLength(1)
    expect(opened[0]!.signal.aborted).toBe(true)
    expect(log).toEqual([
      ['begin', 'openai:m'],
      [
        'fail',
        'max_duration',
        'openai: the answer took longer than 0.2 s (MAX_DURATION_MS), so the request was stopped. Ask for a shorter answer or retry.',
      ],
    ])
  })
})

describe('the engine ends early when asked or when the answer is complete', () => {
  it('abort() during a pending read closes the upstream; the step ends, nothing more is rendered', async () => {
    const { providers, opened } = fakeProviders(() => new FakeBody((body, pull) => pull === 1 && body.send('Hi')))
    const { generation: made, log } = generation(providers, ['openai:m'])
    expect(await made.step()).toBe(true)
    const pending = made.step()
    made.abort()
    expect(await pending).toBe(false)
    expect(await made.step()).toBe(false)
    expect(opened[0]!.body!.closed).toBe(true)
    expect(opened[0]!.signal.aborted).toBe(true)
    expect(outcomes(made)).toEqual(['openai:m aborted'])
    expect(log).toEqual([
      ['begin', 'openai:m'],
      ['text', 'Hi'],
    ])
  })

  it('abort() during the wait before a retry ends it at once, with no second request', async () => {
    const { providers, opened } = fakeProviders(() => upstreamStatusError('openai', 503, 'x', { retryAfterMs: 9_000 }))
    const { generation: made } = generation(providers, ['openai:m'])
    const pending = made.step()
    await new Promise((resolve) => setTimeout(resolve, 50))
    made.abort()
    expect(await pending).toBe(false)
    expect(opened).toHaveLength(1)
  })

  it('a decoder that read the last event ends the answer and closes an upstream that stays open', async () => {
    const body = new FakeBody((upstream, pull) => upstream.send(pull === 1 ? 'Hi' : '[END]'))
    const { providers } = fakeProviders(() => body)
    const { generation: made, log } = generation(providers, ['openai:m'])
    await runToEnd(made)
    expect(log).toEqual([
      ['begin', 'openai:m'],
      ['text', 'Hi'],
      ['done', 'openai:m', 1],
    ])
    expect(body.closed).toBe(true)
    expect(body.pulls).toBe(2)
  })
})
