import type { AnswerResult, PartSink } from '../../src/canonical/parts'
import type { ProviderName } from '../../src/env'
import { upstreamStatusError, type ProviderError } from '../../src/providers/errors'
import type { ProviderRegistry } from '../../src/providers/registry'
import type { AnswerDecoder, ChatProvider } from '../../src/providers/types'

/**
 * Providers for engine tests: {@link ChatProvider} implementations whose upstream answers are
 * streams the test writes, so the engine's policy (retries, fallback, timeouts, abort) runs for
 * real against an upstream the test controls.
 *
 * Their wire format is plain text: each read is a text part; `[END]` is the answer's last event
 * (`isComplete`); `!<message>` is an error event; the body's end is a complete answer (as for a
 * whole JSON body). A body has no buffer (`highWaterMark` 0): it is pulled only while the engine reads.
 *
 * @example
 * const { providers, opened } = fakeProviders((attempt) => new FakeBody((body) => body.send('Hi'), { closeAfter: 1 }))
 */
export class FakeBody {
  readonly stream: ReadableStream<Uint8Array>
  /** Reads the engine asked for. */
  pulls = 0
  /** The engine closed the connection (cancelled the body or aborted the request). */
  closed = false
  private controller!: ReadableStreamDefaultController<Uint8Array>
  private ended = false

  /** `onPull` answers each read (or leaves it pending); nothing: every read stays pending. */
  constructor(onPull?: (body: FakeBody, pull: number) => unknown) {
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller
        },
        pull: async () => {
          this.pulls++
          await onPull?.(this, this.pulls)
        },
        cancel: () => {
          this.closed = true
        },
      },
      { highWaterMark: 0 },
    )
  }

  send(text: string): void {
    if (!this.ended) this.controller.enqueue(new TextEncoder().encode(text))
  }

  close(): void {
    if (this.ended) return
    this.ended = true
    this.controller.close()
  }

  /** The connection failed (or the request was aborted, as `fetch` does). */
  fail(reason: unknown): void {
    if (this.ended) return
    this.ended = true
    this.controller.error(reason)
  }
}

/** Each read of `texts` in turn, then the end of the body. */
export function answering(...texts: string[]): FakeBody {
  return new FakeBody((body, pull) => (pull <= texts.length ? body.send(texts[pull - 1]!) : body.close()))
}

export interface Opened {
  provider: ProviderName
  model: string
  signal: AbortSignal
  body?: FakeBody
}

/** What an attempt gets: a body, an error (thrown by `open`), or `'hang'` (no response headers, ever). */
export type Reply = FakeBody | ProviderError | 'hang'

function decoder(provider: ProviderName, model: string, sink: PartSink): AnswerDecoder {
  let complete = false
  let generated = 0
  return {
    push(bytes) {
      const text = new TextDecoder().decode(bytes)
      if (text === '[END]') complete = true
      else if (text.startsWith('!')) throw upstreamStatusError(provider, 500, text.slice(1), { midStream: true })
      else {
        generated += text.length
        sink.text(text)
      }
    },
    finish: (): AnswerResult => ({ provider, model, finish: 'stop', rawFinish: 'stop' }),
    usage: () => undefined,
    generatedBound: () => generated * 3,
    isComplete: () => complete,
  }
}

/**
 * Both providers, answering each attempt (`n` counts all attempts from 0) with `reply`; the
 * providers named in `unconfigured` have no key. `opened` lists every upstream request in order.
 */
export function fakeProviders(
  reply: (opened: Opened, n: number) => Reply,
  unconfigured: ProviderName[] = [],
): { providers: ProviderRegistry; opened: Opened[] } {
  const opened: Opened[] = []
  const provider = (name: ProviderName): ChatProvider => ({
    name,
    defaultModel: `${name}-default`,
    configured: !unconfigured.includes(name),
    async open(_request, model, signal) {
      const attempt: Opened = { provider: name, model, signal }
      const answer = reply(attempt, opened.push(attempt) - 1)
      if (answer === 'hang')
        return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
      if (!(answer instanceof FakeBody)) throw answer
      attempt.body = answer
      signal.addEventListener('abort', () => {
        answer.closed = true
        answer.fail(signal.reason)
      })
      return { body: answer.stream, decoder: (sink) => decoder(name, model, sink) }
    },
  })
  return { providers: { openai: provider('openai'), gemini: provider('gemini') }, opened }
}
