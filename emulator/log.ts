/**
 * The request log: one entry per request the emulator received, readable in-process
 * (`emulator.requests()`) and over HTTP (`GET /__emulator/requests`).
 */
import type { Scenario } from './scenario.ts'

export interface RequestLogEntry {
  /** 1, 2, 3... in arrival order. */
  id: number
  provider: 'openai' | 'gemini' | 'unknown'
  method: string
  /** Path without the query string. */
  path: string
  /** Query string parameters (the `key` value is replaced by `***`). */
  query: Record<string, string>
  /** Model as requested (OpenAI body `model`, Gemini path segment), `~controls` included. */
  model: string | null
  /** `generateContent`, `streamGenerateContent`, `chat.completions`... */
  operation: string | null
  /** Gemini: `v1` or `v1beta`. */
  apiVersion: string | null
  stream: boolean
  /** The merged scenario controls and their text form. */
  scenario: Scenario
  scenarioText: string
  /** Whether an API key was present (OpenAI `Authorization: Bearer`, Gemini `x-goog-api-key` or `?key=`). */
  keyPresent: boolean
  /** This request's number among the requests of the same prompt to the same provider (from 1; `fail=N` counts these). */
  attempt: number | null
  /** The text of the last user message, tags included. */
  prompt: string | null
  /** The parsed JSON body (null when it was not JSON). */
  body: unknown
  /** Request headers, lower-cased, with key values redacted. */
  headers: Record<string, string>
  /** The HTTP status the emulator answered with (null while waiting for the first byte). */
  status: number | null
  /** What happened: `ok`, `error` (non-2xx), or the stream fault name (`drop`, `stall`, ...). */
  outcome: string | null
  /** Content pieces written. */
  chunksSent: number
  /** Epoch milliseconds. */
  startedAt: number
  headersAt: number | null
  finishedAt: number | null
  /** True when the client closed the connection before the emulator finished its response. */
  clientClosedEarly: boolean
  clientClosedAt: number | null
}

export class RequestLog {
  private entries: RequestLogEntry[] = []
  private nextId = 1
  private waiters = new Set<() => void>()

  create(init: Pick<RequestLogEntry, 'method' | 'path' | 'query' | 'headers' | 'keyPresent'>): RequestLogEntry {
    const entry: RequestLogEntry = {
      id: this.nextId++,
      provider: 'unknown',
      model: null,
      operation: null,
      apiVersion: null,
      stream: false,
      scenario: {},
      scenarioText: '',
      prompt: null,
      attempt: null,
      body: null,
      status: null,
      outcome: null,
      chunksSent: 0,
      startedAt: Date.now(),
      headersAt: null,
      finishedAt: null,
      clientClosedEarly: false,
      clientClosedAt: null,
      ...init,
    }
    this.entries.push(entry)
    this.changed()
    return entry
  }

  /** Notifies waiters after an entry was updated in place. */
  changed(): void {
    for (const w of [...this.waiters]) w()
  }

  list(): RequestLogEntry[] {
    return this.entries.map((e) => structuredClone(e))
  }

  clear(): void {
    this.entries = []
    this.changed()
  }

  /** Resolves with the first entry matching `predicate` (checked on every change), or rejects after `timeoutMs`. */
  waitFor(predicate: (e: RequestLogEntry) => boolean, timeoutMs = 5000): Promise<RequestLogEntry> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.entries.find(predicate)
        if (!hit) return false
        cleanup()
        resolve(structuredClone(hit))
        return true
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`no emulator request matched within ${timeoutMs} ms`))
      }, timeoutMs)
      const cleanup = () => {
        clearTimeout(timer)
        this.waiters.delete(check)
      }
      this.waiters.add(check)
      check()
    })
  }
}
