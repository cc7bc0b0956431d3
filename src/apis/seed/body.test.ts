import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ChatRequestSchema } from '../../schemas'
import { plainChatBody } from './body'

/** Values near every bound and type of ChatRequestSchema's fields, and past them. */
const anything = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -3, max: 3 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 4 }),
  fc.constant([]),
  fc.constant({}),
)
const field = <T>(good: fc.Arbitrary<T>) => fc.oneof({ weight: 8, arbitrary: good }, { weight: 1, arbitrary: anything })
const turn = fc.record(
  {
    role: field(fc.constantFrom('user', 'assistant', 'system', 'User')),
    content: field(fc.string({ maxLength: 6 })),
    extra: fc.string({ maxLength: 2 }),
  },
  { requiredKeys: [] },
)
const body = fc.record(
  {
    user_input: field(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom(' ', '\n\t', ' x '))),
    provider: field(fc.constantFrom('openai', 'gemini', 'Gemini', 'claude')),
    model: field(
      fc.oneof(
        fc.constantFrom(
          'gpt-4.1-mini',
          'gemini-2.5-flash',
          'a..b',
          '-x',
          'x/y:z@1_2',
          '',
          'x'.repeat(200),
          'x'.repeat(201),
        ),
        fc.string({ maxLength: 8 }),
      ),
    ),
    system: field(fc.string({ maxLength: 4 })),
    messages: field(
      fc.oneof(
        fc.array(turn, { maxLength: 3 }),
        fc.array(fc.constant({ role: 'user', content: '' }), { minLength: 199, maxLength: 201 }),
      ),
    ),
    temperature: field(fc.oneof(fc.double({ min: -0.5, max: 2.5, noNaN: true }), fc.constantFrom(0, 2, -0, 2.0000001))),
    max_tokens: field(fc.oneof(fc.integer({ min: -1, max: 1_000_001 }), fc.constantFrom(1, 1_000_000, 1.5, 2 ** 53))),
    fallback: field(fc.boolean()),
    other: fc.string({ maxLength: 3 }),
  },
  { requiredKeys: [] },
)

describe('plainChatBody: the hand check of POST /api/stream/chat bodies', () => {
  it('accepts exactly the JSON bodies ChatRequestSchema accepts, with the same result', () => {
    let accepted = 0
    fc.assert(
      fc.property(fc.oneof({ weight: 20, arbitrary: body }, { weight: 1, arbitrary: anything }), (raw) => {
        // What the route parses: JSON (no undefined, no -0).
        const json = JSON.stringify(raw)
        if (json === undefined) return
        const value: unknown = JSON.parse(json)
        const plain = plainChatBody(value)
        const zod = ChatRequestSchema.safeParse(value)
        expect(plain !== undefined, json).toBe(zod.success)
        if (plain === undefined) return
        accepted++
        expect(plain).toStrictEqual(zod.data)
      }),
      { numRuns: 5_000 },
    )
    expect(accepted).toBeGreaterThan(50)
  })

  it('takes the bodies clients send, so zod only runs for the ones it refuses', () => {
    const usual = [
      { user_input: 'Hi' },
      { user_input: 'Hi', provider: 'openai' },
      {
        user_input: 'Hi',
        provider: 'gemini',
        model: 'gemini-2.5-flash',
        system: 'Be brief.',
        messages: [
          { role: 'user', content: 'My name is Lan.' },
          { role: 'assistant', content: 'Hi Lan!' },
        ],
        temperature: 0.7,
        max_tokens: 512,
        fallback: false,
      },
    ]
    for (const value of usual) expect(plainChatBody(value)).toStrictEqual(ChatRequestSchema.parse(value))
  })
})
