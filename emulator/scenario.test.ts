import { describe, expect, it } from 'vitest'
import { expectedAnswer, expectedChunks, expectedPrefix, splitText } from './answer.ts'
import { baseModel, forAttempt, parseControls, parseScenario, stripTags } from './scenario.ts'

describe('scenario controls', () => {
  it('reads [emu ...] tags, the model suffix and the header, later wins', () => {
    expect(parseScenario('Hi [emu fault=drop after=3 ttft=200 delay=20 chunks=12]')).toEqual({
      fault: 'drop',
      after: 3,
      ttft: 200,
      delay: 20,
      chunks: 12,
    })
    expect(parseScenario('Hi', 'gpt-4o-mini~fault=429,after=2')).toEqual({ fault: '429', after: 2 })
    expect(parseScenario('Hi', 'gemini-2.5-flash@emu:drop:after-2:split')).toEqual({
      fault: 'drop',
      after: 2,
      split: true,
    })
    expect(parseScenario('Hi [emu 500]', 'm~fault=429', 'fault=401 delay=5')).toEqual({ fault: '500', delay: 5 })
    expect(parseControls('split=0 thoughts=2 splitDelay=7 nonsense=1')).toEqual({
      split: false,
      thoughts: 2,
      splitDelay: 7,
    })
  })

  it('reads fail=, status=, retry_after= and hold=, also in a model name', () => {
    expect(parseScenario('Hi [emu fail=2 status=503 retry_after=1]')).toEqual({ fail: 2, fault: '503', retryAfter: 1 })
    expect(parseScenario('Hi', 'gpt-4.1-mini@emu:fail-1:status-429:retry_after-2:hold-300')).toEqual({
      fail: 1,
      fault: '429',
      retryAfter: 2,
      hold: 300,
    })
    expect(parseControls('retryafter=0.5 hold=20')).toEqual({ retryAfter: 0.5, hold: 20 })
  })

  it('forAttempt: requests 1..N fail (a 503 unless told), later ones answer without the failing controls', () => {
    const scenario = parseControls('fail=2 status=429 retry_after=1 hold=50 ttft=10')
    expect(forAttempt(scenario, 1)).toEqual(scenario)
    expect(forAttempt(scenario, 2)).toEqual(scenario)
    expect(forAttempt(scenario, 3)).toEqual({ fail: 2, ttft: 10 })
    expect(forAttempt(parseControls('fail=1'), 1)).toEqual({ fail: 1, fault: '503' })
    expect(forAttempt(parseControls('fail=1 hold=100'), 1)).toEqual({ fail: 1, hold: 100 })
    expect(forAttempt(parseControls('fault=drop'), 9)).toEqual({ fault: 'drop' })
  })

  it('strips tags from the prompt and controls from the model', () => {
    expect(stripTags('Hello [emu fault=drop] world')).toBe('Hello world')
    expect(stripTags('[EMU delay=3]  Xin chào  ')).toBe('Xin chào')
    expect(stripTags('no [emulated] tag')).toBe('no [emulated] tag')
    expect(baseModel('gpt-4o-mini~fault=429')).toBe('gpt-4o-mini')
    expect(baseModel('gemini-2.5-flash@emu:drop')).toBe('gemini-2.5-flash')
    expect(baseModel('models/x@home')).toBe('models/x@home')
  })
})

describe('answers', () => {
  const prompt = 'Xin chào, 你好 🚀 "quoted"'

  it('is the same text whatever the timing controls, and differs per provider', () => {
    const a = expectedAnswer(prompt, { provider: 'openai' })
    expect(expectedAnswer(`${prompt} [emu delay=50 ttft=9 split chunks=3]`, { provider: 'openai' })).toBe(a)
    expect(a).toContain(`"${prompt}"`)
    expect(expectedAnswer(prompt, { provider: 'gemini' })).not.toBe(a)
    expect(a).toMatch(/[\u{1F300}-\u{1FAFF}]/u) // emoji
    expect(a).toMatch(/\p{Script=Han}/u)
    expect(a).toContain('\n')
  })

  it('sentences= changes the length', () => {
    const one = expectedAnswer('x [emu sentences=1]', { provider: 'openai' })
    expect(one).toBe('Emulated OpenAI answer to: "x".')
    expect(expectedAnswer('x', { provider: 'openai', sentences: 12 }).length).toBeGreaterThan(
      expectedAnswer('x', { provider: 'openai' }).length,
    )
  })

  it('splits into pieces that join back exactly and never cut a code point', () => {
    const text = expectedAnswer(prompt, { provider: 'gemini', sentences: 9 })
    for (const pieces of [
      splitText(text),
      splitText(text, undefined, 3),
      splitText(text, 7),
      splitText(text, 10_000),
    ]) {
      expect(pieces.join('')).toBe(text)
      for (const p of pieces) {
        expect(p.length).toBeGreaterThan(0)
        expect(p).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/)
      }
    }
    expect(splitText(text, 7)).toHaveLength(7)
  })

  it('expectedPrefix is the first `after` pieces', () => {
    const p = 'Hi [emu fault=drop after=4]'
    expect(expectedPrefix(p, { provider: 'openai' })).toBe(
      expectedChunks(p, { provider: 'openai' }).slice(0, 4).join(''),
    )
  })
})
