import { describe, expect, it } from 'vitest'
import { sha256 } from './sha256'

const hex = (bytes: Uint8Array) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')

describe('sha256', () => {
  it('gives the FIPS 180-4 test vectors', () => {
    const encoder = new TextEncoder()
    expect(hex(sha256(encoder.encode('')))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(hex(sha256(encoder.encode('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(hex(sha256(encoder.encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    )
  })

  it('is crypto.subtle.digest for every length across the block and padding boundaries', async () => {
    for (let length = 0; length <= 200; length++) {
      const data = new Uint8Array(length).map((_, i) => (i * 131 + length * 7) & 0xff)
      const expected = new Uint8Array(await crypto.subtle.digest('SHA-256', data))
      expect(hex(sha256(data)), `length ${length}`).toBe(hex(expected))
    }
  })
})
