import type { Context } from 'hono'
import type { AppEnv } from '../app-env'
import type { Generation } from '../engine/generation'
import { sseResponse } from '../sse'
import { type DirectWriter, directBody, untilFirstOutput } from './direct-body'

/**
 * A direct stream whose headers leave with its first event (the OpenAI-shaped APIs): a failure before
 * any output is its renderer's HTTP error, which the SDKs raise; the client leaving stops the answer.
 *
 * @example
 * const writer = new DirectWriter()
 * return streamAfterFirstOutput(c, new Generation(plan, createChatStreamRenderer(writer, record, spec)), writer)
 */
export async function streamAfterFirstOutput(
  c: Context<AppEnv>,
  generation: Generation,
  writer: DirectWriter,
): Promise<Response> {
  const config = c.get('config')
  const record = c.get('record')
  const client = c.req.raw.signal
  client?.addEventListener('abort', () => generation.abort(client.reason), { once: true })
  await untilFirstOutput(generation)
  const failed = generation.renderer.failedResponse
  if (generation.failedBeforeOutput && failed) {
    record.set({ attempts: generation.attempts })
    return failed(generation.error)
  }
  return sseResponse(directBody(generation, writer, { pingIntervalMs: config.pingIntervalMs, record }))
}
