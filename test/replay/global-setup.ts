import type { TestProject } from 'vitest/node'
import { startReplayServer } from './server'

/** Starts the fake upstream once for the worker tests and tells them its URL. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startReplayServer()
  project.provide('replayUrl', server.url)
  return () => server.close()
}
