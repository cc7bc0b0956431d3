/**
 * The shape of bench/results/latest.json: every streaming case (per runtime, provider and API) with
 * each contender's figures, memory per open stream, the worker bundles and what was not measured.
 *
 * @example
 * const saved = JSON.parse(readFileSync('bench/results/latest.json', 'utf8')) as Results
 */
import type { ApiId } from './apis.ts'
import type { BundleResult } from './bundle.ts'
import type { MemoryResult } from './memory.ts'
import type { TargetFigures } from './summary.ts'

export interface CaseOut {
  runtime: string
  provider: string
  /** The API the contenders were sent (absent in results written before there were several: /api). */
  api?: ApiId
  case: string
  tag: string
  chunks: number
  rounds: number
  n: number
  concurrency: number
  seconds: number
  targets: Record<string, TargetFigures>
}
export type MemoryOut = {
  runtime: string
  contender: string
  error?: string
  rounds?: number[]
} & Partial<MemoryResult>
export interface Results {
  cases: CaseOut[]
  memory: MemoryOut[]
  bundles: (BundleResult & { name: string })[]
  problems: string[]
  config: unknown
  seconds: number
  /** Set when the results are written (kept when only the markdown is rewritten from the JSON). */
  date?: string
  commit?: string
  machine?: string
}
