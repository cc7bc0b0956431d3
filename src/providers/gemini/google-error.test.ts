import { describe, expect, it } from 'vitest'
import { parseGoogleError } from './google-error'

describe('parseGoogleError', () => {
  const body = '{\n  "error": {\n    "code": 503,\n    "message": "Overloaded.",\n    "status": "UNAVAILABLE"\n  }\n}\n'
  const expected = { code: 503, message: 'Overloaded.', status: 'UNAVAILABLE' }

  it('reads a plain error body', () => {
    expect(parseGoogleError(body)).toEqual(expected)
  })

  it('unwraps the envelope the SDK builds around a text/event-stream error body', () => {
    const sdkMessage = JSON.stringify({ error: { message: body, code: 503, status: 'Service Unavailable' } })
    expect(parseGoogleError(sdkMessage)).toEqual(expected)
  })

  it('reads the SDK message for an error found in a stream', () => {
    expect(parseGoogleError(`got status: UNAVAILABLE. ${JSON.stringify(JSON.parse(body))}`)).toEqual(expected)
  })

  it('finds a bare error object at the end of a stream', () => {
    expect(parseGoogleError(`data: {"candidates": []}\r\n\r\n${body}`)).toEqual(expected)
  })

  it('returns undefined when there is no error object', () => {
    expect(parseGoogleError('data: {"candidates": []}\r\n\r\n{"error": "not an object"}')).toBeUndefined()
    expect(parseGoogleError('<html>502</html>')).toBeUndefined()
  })
})
