import { env } from 'cloudflare:workers'
import { vi } from 'vitest'
import { inProcessApp } from './helpers'

/**
 * Issue 8 test helpers: call a fresh app in this isolate with extra bindings (the real Response
 * bytes still), and capture the log lines the gateway writes meanwhile.
 */
export type Bindings = Record<string, unknown>

/** The test bindings plus `extra`, as ONE object: reuse it to keep rate-limit counts between calls. */
export function bindings(extra: Bindings): Bindings {
  return { ...env, ...extra }
}

export function call(binds: Bindings, path: string, init?: RequestInit): Promise<Response> {
  return Promise.resolve(inProcessApp().fetch(new Request(`http://gateway.test${path}`, init), binds))
}

export const jsonPost = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
})

/** Collects every console line (log, error, warn, info) until `stop()`. */
export function captureLogs(): { lines: string[]; records: () => Record<string, unknown>[]; stop: () => void } {
  const lines: string[] = []
  const spies = (['log', 'error', 'warn', 'info'] as const).map((level) =>
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '))
    }),
  )
  return {
    lines,
    records: () =>
      lines
        .filter((line) => line.startsWith('{"event":"request"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    stop: () => {
      for (const spy of spies) spy.mockRestore()
    },
  }
}
