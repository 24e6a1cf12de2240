/**
 * The corpus runner compares each case's table block: a block must end at the
 * table's own closing brace (an earlier version ended it at the first `}` of a
 * set or map declaration, so the rules after a declaration were never compared).
 */
import { describe, expect, it } from 'vitest'
import { braceBalance, normalize, tableBlocks } from '../conformance/corpus-lib.js'

describe('corpus table blocks', () => {
  it('end at the table brace, past sets, maps, chains and bindings', () => {
    const text = normalize(`table ip6 k0 {
\tmap m {
\t\ttype dscp : mark
\t\telements = { cs1 : 0x00000001 }
\t}

\tchain c {
\t\tmeta mark set ip6 dscp map @m
\t\tjump {
\t\t\taccept
\t\t}
\t}
}
table ip k1 {
\tchain c {
\t\tcomment "a } in a string"
\t}
}`)
    const blocks = tableBlocks(text)
    expect([...blocks.keys()]).toEqual(['ip6 k0', 'ip k1'])
    expect(blocks.get('ip6 k0')).toContain('meta mark set ip6 dscp map @m')
    expect(blocks.get('ip6 k0')?.endsWith('accept\n}\n}\n}')).toBe(true)
    expect(blocks.get('ip k1')).toContain('a } in a string')
  })

  it('counts braces outside quoted strings', () => {
    expect(braceBalance('chain c {')).toBe(1)
    expect(braceBalance('elements = { 1, 2 }')).toBe(0)
    expect(braceBalance('comment "{"')).toBe(0)
    expect(braceBalance('}')).toBe(-1)
  })
})
