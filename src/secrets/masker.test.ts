import { describe, expect, it } from 'vitest'
import { createMasker, maskDeep, noMask, REDACTED } from './masker'
import { safeModelName } from './model-name'

const KEY = 'sk-proj-Ab12Cd34Ef56Gh78Ij90'
const mask = createMasker([KEY, undefined, 'tok'])

describe('createMasker', () => {
  it('masks the whole value, inside other words too', () => {
    expect(mask(`key apikey_${KEY}_end.`)).toBe(`key apikey_${REDACTED}_end.`)
    expect(mask(`${KEY}${KEY}`)).toBe(REDACTED)
  })

  it('masks any run of 12 or more characters of it, and leaves shorter runs', () => {
    expect(mask(`part: ${KEY.slice(4, 16)}!`)).toBe(`part: ${REDACTED}!`)
    expect(mask(`short: ${KEY.slice(4, 15)}`)).toBe(`short: ${KEY.slice(4, 15)}`)
    expect(mask(`a ${KEY.slice(0, 13)} b ${KEY.slice(10)} c`)).toBe(`a ${REDACTED} b ${REDACTED} c`)
  })

  it('ignores values shorter than 4 characters, and does nothing without secrets', () => {
    expect(mask('tok tok')).toBe('tok tok')
    expect(createMasker([])).toBe(noMask)
  })

  it('maskDeep masks every string of a JSON value, keys included', () => {
    expect(maskDeep({ a: [KEY, 1, { [KEY]: `x${KEY}` }], b: null }, mask)).toEqual({
      a: [REDACTED, 1, { [REDACTED]: `x${REDACTED}` }],
      b: null,
    })
  })
})

describe('safeModelName', () => {
  it('keeps a model name, replaces anything else by the requested model', () => {
    expect(safeModelName('gpt-4.1-mini-2025-04-14', 'gpt-4.1-mini', mask)).toBe('gpt-4.1-mini-2025-04-14')
    expect(safeModelName('models/gemini-2.5-flash', 'x', mask)).toBe('models/gemini-2.5-flash')
    for (const odd of ['<script>', '', 'a b', '../etc', 'x'.repeat(201), KEY, 42, null]) {
      expect(safeModelName(odd, 'gpt-4.1-mini', mask)).toBe('gpt-4.1-mini')
    }
  })
})
