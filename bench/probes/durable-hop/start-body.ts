/**
 * A ~2 KB JSON start request shaped like the gateway's StreamStart (stream id, the generation's plan
 * with the prompt, render spec, timeouts, the request's record): what the worker serialises and the
 * object parses on the object path.
 *
 * @example
 * await stub.fetch('https://hop.internal/start', { method: 'POST', body: startBody(streamId) })
 */
const PROMPT =
  'Summarise the trade-offs of running a streaming generation inside a Durable Object versus the worker ' +
  'that serves the client, covering latency, CPU, memory, failure modes and the cost of replay. '

export interface StartBody {
  streamId: string
  plan: { request: { messages: { role: string; content: string }[] } }
}

export function startBody(streamId: string): string {
  return JSON.stringify({
    streamId,
    plan: {
      request: {
        system: 'You are a concise assistant. Answer in plain prose without lists.',
        messages: [
          { role: 'user', content: PROMPT.repeat(6) },
          { role: 'assistant', content: PROMPT.slice(0, 160) },
          { role: 'user', content: PROMPT.repeat(2) },
        ],
        maxOutputTokens: 1024,
        temperature: 0.7,
      },
      targets: [
        { provider: 'openai', model: 'gpt-4o-mini' },
        { provider: 'gemini', model: 'gemini-2.5-flash' },
      ],
      limits: { firstByteTimeoutMs: 30_000, idleTimeoutMs: 60_000, maxUpstreamEventBytes: 1_048_576 },
    },
    render: { api: 'chat', model: 'gpt-4o-mini', includeUsage: true },
    pingIntervalMs: 15_000,
    graceMs: 10_000,
    ttlMs: 300_000,
    maxStreamBytes: 4_194_304,
    record: {
      requestId: '7f3c2a1e-5b4d-4c6e-9a8b-0d1e2f3a4b5c',
      method: 'POST',
      fields: { path: '/api/stream/chat', provider: 'openai', model: 'gpt-4o-mini', ip: '127.0.0.1' },
      startedAt: Date.now(),
    },
  })
}
