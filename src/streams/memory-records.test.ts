import { describe, expect, it } from 'vitest'
import { MemoryRecords } from './memory-records'

describe('MemoryRecords', () => {
  it('returns a copy of the value until it expires', () => {
    let now = 1_000
    const records = new MemoryRecords({ now: () => now })
    const value = { response: { id: 'resp_1', output: ['Xin chào 👋'] } }
    records.set('a', value, 500)
    value.response.id = 'changed'
    expect(records.get('a')).toEqual({ response: { id: 'resp_1', output: ['Xin chào 👋'] } })
    now = 1_499
    expect(records.get('a')).toBeDefined()
    now = 1_500
    expect(records.get('a')).toBeUndefined()
    expect(records.size).toBe(0)
  })

  it('drops the oldest past maxRecords or maxBytes, and never keeps a value larger than the store', () => {
    const records = new MemoryRecords({ maxRecords: 2, maxBytes: 100 })
    records.set('a', 'x', 60_000)
    records.set('b', 'y', 60_000)
    records.set('c', 'z', 60_000)
    expect([records.get('a'), records.get('b'), records.get('c')]).toEqual([undefined, 'y', 'z'])
    records.set('d', 'w'.repeat(30), 60_000)
    expect([records.get('b'), records.get('c'), records.get('d')]).toEqual([undefined, 'z', 'w'.repeat(30)])
    records.set('e', 'v'.repeat(60), 60_000)
    expect(records.get('e')).toBeUndefined()
    expect(records.get('c')).toBe('z')
  })

  it('a second set replaces the value; delete says whether there was one', () => {
    const records = new MemoryRecords()
    records.set('a', 1, 60_000)
    records.set('a', 2, 60_000)
    expect(records.get('a')).toBe(2)
    expect(records.delete('a')).toBe(true)
    expect(records.delete('a')).toBe(false)
  })
})
