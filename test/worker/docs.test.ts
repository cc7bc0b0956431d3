import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { gateway } from './helpers'

/** Every `src` and `href` of a page, in order. */
const references = (html: string): string[] =>
  [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((match) => match[1] ?? '')

/** A file of the Workers static assets (static/, as wrangler.jsonc configures them). */
const asset = (path: string): Promise<Response> => env.ASSETS!.fetch(new Request(`http://gateway.test${path}`))

describe('GET /docs', () => {
  it('is a page whose every file comes from this origin, under a strict CSP', async () => {
    const response = await gateway('/docs')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/html; charset=UTF-8')
    expect(response.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    )
    const html = await response.text()
    expect(references(html)).toEqual([
      '/docs/assets/swagger-ui.css',
      '/docs/assets/favicon-32x32.png',
      '/openapi.json',
      '/docs/assets/swagger-ui-bundle.js',
      '/docs/init.js',
    ])
    // No inline code for the CSP to block: every <script> has a src and is empty, no style="" or <style>.
    expect(
      [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((match) => [
        match[0].includes(' src="'),
        match[1],
      ]),
    ).toEqual([
      [true, ''],
      [true, ''],
    ])
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i)
  })

  it('serves the Swagger UI files of the pinned swagger-ui-dist as static assets', async () => {
    const css = await asset('/docs/assets/swagger-ui.css')
    expect(css.status).toBe(200)
    expect(css.headers.get('content-type')).toMatch(/^text\/css/)
    expect(await css.text()).toContain('.swagger-ui')
    const bundle = await asset('/docs/assets/swagger-ui-bundle.js')
    expect(bundle.status).toBe(200)
    expect(bundle.headers.get('content-type')).toMatch(/^(text|application)\/javascript/)
    expect(await bundle.text()).toContain('SwaggerUIBundle')
    const icon = await asset('/docs/assets/favicon-32x32.png')
    expect(icon.status).toBe(200)
    expect(icon.headers.get('content-type')).toBe('image/png')
    expect([...new Uint8Array(await icon.arrayBuffer()).slice(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47])
  })

  it('starts Swagger UI from its own script file, on /openapi.json, with no external validator', async () => {
    const response = await gateway('/docs/init.js')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    const script = await response.text()
    expect(script).toContain("url: '/openapi.json'")
    expect(script).toContain('validatorUrl: null')
    expect(script).not.toMatch(/https?:\/\//)
  })
})

describe('GET /openapi.json', () => {
  type Doc = {
    paths: Record<
      string,
      Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
    >
    components: {
      schemas: Record<string, { anyOf?: unknown; properties?: Record<string, unknown>; required?: string[] }>
    }
  }

  it('describes each SSE event as a StreamEvent schema: text, done or error', async () => {
    const doc = (await (await gateway('/openapi.json')).json()) as Doc
    for (const [path, method] of [
      ['/api/stream/chat', 'post'],
      ['/api/stream/chat-get', 'get'],
      ['/api/stream/sse', 'get'],
    ] as const) {
      expect(doc.paths[path]?.[method]?.responses['200']?.content).toEqual({
        'text/event-stream': { schema: { $ref: '#/components/schemas/StreamEvent' } },
      })
    }
    const { StreamEvent, StreamTextEvent, StreamDoneEvent, StreamErrorEvent } = doc.components.schemas
    expect(StreamEvent?.anyOf).toEqual([
      { $ref: '#/components/schemas/StreamTextEvent' },
      { $ref: '#/components/schemas/StreamDoneEvent' },
      { $ref: '#/components/schemas/StreamErrorEvent' },
    ])
    expect(StreamTextEvent?.properties).toMatchObject({
      chunk: { type: 'string' },
      done: { type: 'boolean', enum: [false] },
    })
    expect(StreamTextEvent?.required).toEqual(['chunk', 'done'])
    expect(Object.keys(StreamDoneEvent?.properties ?? {})).toEqual([
      'chunk',
      'done',
      'provider',
      'model',
      'finish_reason',
      'usage',
      'attempts',
      'budget',
      'timing',
      'request_id',
      'events',
    ])
    expect(StreamDoneEvent?.properties).toMatchObject({
      chunk: { type: 'string', enum: [''] },
      done: { type: 'boolean', enum: [true] },
      usage: { $ref: '#/components/schemas/Usage' },
      timing: { $ref: '#/components/schemas/StreamTiming' },
    })
    expect(StreamDoneEvent?.required).toEqual(['chunk', 'done'])
    expect(StreamErrorEvent?.properties).toMatchObject({
      error: { type: 'string' },
      done: { type: 'boolean', enum: [true] },
      timing: { $ref: '#/components/schemas/StreamTiming' },
    })
    expect(StreamErrorEvent?.required).toEqual(['error', 'done'])
    expect(doc.components.schemas.StreamTiming).toMatchObject({
      type: 'object',
      properties: { gw_ms: { type: 'integer', minimum: 0 }, upstream_ms: { type: 'integer', minimum: 0 } },
      required: ['gw_ms', 'upstream_ms'],
    })
  })
})
