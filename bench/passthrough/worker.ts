/**
 * The baseline for `npm run bench`: a bare worker that forwards a provider request to the upstream
 * (the emulator) and returns the upstream response body untouched. The bench client sends it the
 * exact request the gateway's SDKs send upstream (same path, query and JSON body), so the only
 * difference between the two is the gateway's own work: validation, SDK call and parsing,
 * re-framing into `data: {"chunk":…}` events.
 *
 *   POST /v1/chat/completions                                            → ${UPSTREAM}/v1/chat/completions
 *   POST /v1/responses                                                   → ${UPSTREAM}/v1/responses
 *   POST /v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse   → ${UPSTREAM}/v1beta/models/…
 *   GET  /__ready                                                        → 200 "ok" (readiness probe)
 *
 * The same file runs on Workers (wrangler.toml next to it), Bun (bun.ts) and Node (node.ts).
 */

export interface PassthroughEnv {
  /** The upstream base URL without a version path, e.g. http://127.0.0.1:8787. */
  UPSTREAM?: string
  /** The placeholder key the gateway also sends (the emulator only checks that one is present). */
  API_KEY?: string
}

export default {
  async fetch(request: Request, env: PassthroughEnv): Promise<Response> {
    const url = new URL(request.url)
    if (url.pathname === '/__ready') return new Response('ok')
    if (request.method !== 'POST' || !env.UPSTREAM) return new Response('not found', { status: 404 })
    const key = env.API_KEY ?? 'emu-key'
    // Same auth headers the SDKs send: OpenAI a bearer token, Gemini x-goog-api-key.
    const auth: Record<string, string> = url.pathname.startsWith('/v1/')
      ? { authorization: `Bearer ${key}` }
      : { 'x-goog-api-key': key }
    const upstream = await fetch(`${env.UPSTREAM.replace(/\/+$/, '')}${url.pathname}${url.search}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      // Buffered like the SDKs do (they send a string body with a content-length).
      body: await request.arrayBuffer(),
      signal: request.signal,
    })
    return new Response(upstream.body, { status: upstream.status, headers: upstream.headers })
  },
}
