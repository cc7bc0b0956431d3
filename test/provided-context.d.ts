// Values that the global setup of the worker tests hands to the tests and to the pool options.
declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the fake upstream that replays recorded provider responses. */
    replayUrl: string
  }
}
export {}
