/**
 * decode(compile(x)) = x for every typed rule of the kernel differential
 * corpus (whose exprs are in canonical form, as verified against nft), with
 * anonymous sets served the way a kernel dump serves them. Plus the `{ raw }`
 * fallback for expressions nftkit cannot read.
 */
import { describe, expect, it } from 'vitest'
import { FAMILY_NUMBER, type Family } from '../../lib/kernel/constants.js'
import { type CompiledRule, compileRule } from '../../lib/expr/compile.js'
import { decodeRule, type RawExpr } from '../../lib/expr/decode.js'
import type { RuleExpr } from '../../lib/model/rule-types.js'
import { decodeListing } from '../../lib/io/listing.js'
import type { NativeDump, NativeExpr, NativeRecord } from '../../types/native.js'
import { BRIDGE_CASES, INET_CASES, IP6_CASES, IP_CASES, type RuleCase } from '../kernel/differential.cases.js'

const compile = (family: Family, exprs: readonly RuleExpr[]): CompiledRule => {
  let id = 1
  // Named sets: any will do (a lookup decodes the same whatever the set's flags).
  return compileRule(exprs, { family, table: 't', findSet: (name) => ({ name }), nextSetId: () => id++ }, 'exprs')
}

/**
 * What a dump of the compiled rule looks like: anonymous sets get kernel names
 * (`__set0`, `__map1`), lookups name them, set ids are gone.
 */
function asDump(family: Family, compiled: CompiledRule): NativeDump {
  const names = new Map<number, string>()
  const sets: NativeRecord[] = []
  for (const op of compiled.sets) {
    if (op.kind === 'set') {
      const name = `${String(op.name).replace('%d', '')}${names.size}`
      names.set(op.setId as number, name)
      const { verb: _verb, setId: _id, ...rest } = op
      sets.push({ ...rest, kind: 'set', table: 't', name, handle: sets.length + 1, elements: [] } as unknown as NativeRecord)
    } else {
      const rec = sets.find((s) => s.name === names.get(op.setId as number)) as unknown as { elements: unknown[] }
      rec.elements.push(...(op.elements ?? []))
    }
  }
  const exprs = compiled.exprs.map((e) => {
    if (e.type !== 'lookup' || e.setId === undefined) return e
    const { setId, ...rest } = e
    return { ...rest, set: names.get(setId as number) ?? String(e.set) }
  })
  return {
    genId: 1,
    tables: [],
    chains: [],
    sets,
    rules: [{ kind: 'rule', family: FAMILY_NUMBER[family], table: 't', chain: 'c', handle: 10, exprs } as NativeRecord],
    objects: [],
  }
}

const readBack = (family: Family, exprs: readonly RuleExpr[]) => decodeListing(asDump(family, compile(family, exprs))).rules[0].exprs

describe.each([
  ['inet', INET_CASES],
  ['ip', IP_CASES],
  ['ip6', IP6_CASES],
  ['bridge', BRIDGE_CASES],
] as Array<[Family, readonly RuleCase[]]>)('differential corpus, %s', (family, cases) => {
  it.each(cases.map((c) => [c.nft, c] as const))('%s', (_nft, c) => {
    expect(readBack(family, c.exprs)).toEqual(c.exprs)
  })
})

describe('decodeRule directly', () => {
  it('decodes rules without anonymous sets with any anonSet()', () => {
    const exprs: RuleExpr[] = [{ match: 'ip saddr', value: '10.0.0.0/20' }, { match: 'tcp dport', op: '!=', value: '1000-2000' }, { stmt: 'counter' }, { stmt: 'drop' }]
    expect(decodeRule(compile('inet', exprs).exprs, { family: 'inet', anonSet: () => undefined })).toEqual(exprs)
  })

  it('inlines anonymous set contents from anonSet()', () => {
    const asked: string[] = []
    const out = decodeRule(
      [
        { type: 'meta', key: 16, dreg: 1 },
        { type: 'lookup', sreg: 1, set: '__set3', flags: 1 },
      ],
      {
        family: 'inet',
        anonSet: (name) => {
          asked.push(name)
          return { elements: [{ key: 'tcp' }, { key: 'udp' }] }
        },
      },
    )
    expect(asked).toEqual(['__set3'])
    expect(out).toEqual([{ match: 'meta l4proto', op: '!=', value: ['tcp', 'udp'] }])
  })

  it('keeps named sets and verdict maps as references', () => {
    const env = { family: 'inet' as const, anonSet: () => undefined }
    expect(decodeRule(compile('inet', [{ match: 'tcp dport', value: { set: 'ports' } }]).exprs, env)).toEqual([{ match: 'tcp dport', value: { set: 'ports' } }])
    expect(decodeRule(compile('inet', [{ stmt: 'vmap', key: ['ip daddr', 'tcp dport'], map: { set: 'vm' } }]).exprs, env)).toEqual([
      { stmt: 'vmap', key: ['ip daddr', 'tcp dport'], map: { set: 'vm' } },
    ])
  })

  // Regression test (found as a bug, fixed): nft converts host-order keys to
  // network order before interval-set lookups and ranges; the decoder read a
  // byteorder expression as unknown (the whole rule came back as { raw }).
  it('reads the byteorder conversion of host-order keys (interval sets, ranges) back to the same match', () => {
    const env = { family: 'ip' as const, anonSet: () => undefined }
    const mark = { type: 'meta', key: 3, dreg: 1 } as const
    const hton = { type: 'byteorder', sreg: 1, dreg: 1, op: 1, len: 4, size: 4 } as const
    expect(decodeRule([mark, hton, { type: 'lookup', sreg: 1, set: 'markint' }], env)).toEqual([{ match: 'meta mark', value: { set: 'markint' } }])
    expect(
      decodeRule([mark, hton, { type: 'payload', dreg: 9, base: 1, offset: 12, len: 4 }, { type: 'lookup', sreg: 1, set: 'marknet' }], env),
    ).toEqual([{ match: ['meta mark', 'ip saddr'], value: { set: 'marknet' } }])
    const be = (n: number) => Buffer.from(n.toString(16).padStart(8, '0'), 'hex')
    expect(decodeRule([mark, hton, { type: 'cmp', sreg: 1, op: 5, data: be(1) }, { type: 'cmp', sreg: 1, op: 3, data: be(5) }], env)).toEqual([
      { match: 'meta mark', value: '1-5' },
    ])
    expect(decodeRule([mark, hton, { type: 'range', sreg: 1, op: 1, from: be(1), to: be(5) }], env)).toEqual([{ match: 'meta mark', op: '!=', value: '1-5' }])
    // A host-order range without the conversion compares the wrong bytes first: not a typed match.
    const unconverted: NativeExpr[] = [mark, { type: 'cmp', sreg: 1, op: 5, data: be(1) }, { type: 'cmp', sreg: 1, op: 3, data: be(5) }]
    expect(decodeRule(unconverted, env)).toEqual([{ raw: unconverted }])
    // A masked flag compare reads back as nft lists it (`tcp flags syn / syn,ack`).
    const masked: NativeExpr[] = [
      { type: 'meta', key: 16, dreg: 1 },
      { type: 'cmp', sreg: 1, op: 0, data: Buffer.from([6]) },
      { type: 'payload', dreg: 1, base: 2, offset: 13, len: 1 },
      { type: 'bitwise', sreg: 1, dreg: 1, len: 1, mask: Buffer.from([0x12]), xor: Buffer.from([0]) },
      { type: 'cmp', sreg: 1, op: 0, data: Buffer.from([0x02]) },
    ]
    expect(decodeRule(masked, { family: 'ip', anonSet: () => undefined })).toEqual([{ match: 'tcp flags', bits: [['&', ['syn', 'ack']]], value: 'syn' }])
  })

  it('reads extra shapes not in the corpus', () => {
    const cases: Array<[Family, RuleExpr[]]> = [
      ['inet', [{ match: 'ct state', op: '!', value: ['established', 'related'] }, { stmt: 'accept' }]],
      ['inet', [{ match: 'ip6 saddr', op: '!=', value: 'fe80::/10' }, { stmt: 'drop' }]],
      ['inet', [{ match: 'meta l4proto', value: 'udp' }, { stmt: 'masquerade', port: '1000-2000' }]],
      ['inet', [{ match: 'meta l4proto', value: 'tcp' }, { stmt: 'dnat', to: '[2001:db8::5]:8080', family: 'ip6' }]],
      ['ip', [{ stmt: 'dnat', to: '10.0.0.1-10.0.0.9', family: 'ip' }]],
      ['ip', [{ stmt: 'reject', with: 'tcp reset' }]], // ip/ip6 hide the dependency of tcp reset
      ['inet', [{ match: 'meta l4proto', value: 'tcp' }, { stmt: 'reject', with: 'tcp reset' }]], // inet shows it
      ['inet', [{ match: 'ip saddr', value: '1.1.1.1' }, { stmt: 'reject', with: { icmp: 'admin-prohibited' } }]],
      ['inet', [{ match: 'udp dport', value: 53 }, { match: 'meta l4proto', value: 'udp' }]],
      ['inet', [{ stmt: 'jump', chain: 'x' }]],
      ['bridge', [{ match: 'ether saddr', value: '02:00:00:00:00:01-02:00:00:00:00:ff' }]],
      ['ip6', [{ match: 'icmpv6 type', value: ['nd-router-advert', 'nd-neighbor-solicit'] }, { stmt: 'accept' }]],
    ]
    for (const [family, exprs] of cases) expect(readBack(family, exprs), JSON.stringify(exprs)).toEqual(exprs)
  })

  it('hides dependencies it added: nfproto before ip, l4proto before tcp, iiftype before ether', () => {
    const env = { family: 'inet' as const, anonSet: () => undefined }
    expect(decodeRule(compile('inet', [{ match: 'meta l4proto', value: 'tcp' }, { match: 'tcp dport', value: 22 }]).exprs, env)).toEqual([
      { match: 'tcp dport', value: 22 },
    ])
    expect(decodeRule(compile('inet', [{ match: 'meta nfproto', value: 'ipv4' }, { match: 'ip saddr', value: '1.1.1.1' }]).exprs, env)).toEqual([
      { match: 'ip saddr', value: '1.1.1.1' },
    ])
    expect(decodeRule(compile('inet', [{ match: 'meta iiftype', value: 'ether' }, { match: 'ether saddr', value: '02:00:00:00:00:01' }]).exprs, env)).toEqual([
      { match: 'ether saddr', value: '02:00:00:00:00:01' },
    ])
  })

  // Regression test (found as a bug, fixed): in inet (and bridge) tables the decoder treats an explicit `ip protocol tcp` /
  // `ip6 nexthdr tcp` as the dependency of a following `tcp dport` and drops
  // it, although it also restricts the rule to IPv4/IPv6. nft keeps it
  // (`nft list` prints `ip protocol tcp tcp dport 22` in inet and bridge tables), and
  // the decoded `tcp dport 22` recompiles to a rule that also matches IPv6.
  it('keeps an explicit ip protocol before tcp dport in inet (nft prints it)', () => {
    const exprs: RuleExpr[] = [{ match: 'ip protocol', value: 'tcp' }, { match: 'tcp dport', value: 22 }]
    expect(readBack('inet', exprs)).toEqual(exprs)
  })
  it('keeps an explicit ip6 nexthdr before tcp dport in inet (nft prints it)', () => {
    const exprs: RuleExpr[] = [{ match: 'ip6 nexthdr', value: 'tcp' }, { match: 'tcp dport', value: 22 }]
    expect(readBack('inet', exprs)).toEqual(exprs)
  })

  it('keeps an explicit ip protocol before tcp dport in bridge (nft prints it)', () => {
    const exprs: RuleExpr[] = [{ match: 'ip protocol', value: 'tcp' }, { match: 'tcp dport', value: 22 }]
    expect(readBack('bridge', exprs)).toEqual(exprs)
  })

  it('in ip and ip6 tables, ip protocol / ip6 nexthdr before tcp dport is the dependency nft hides too', () => {
    expect(readBack('ip6', [{ match: 'ip6 nexthdr', value: 'tcp' }, { match: 'tcp dport', value: 22 }])).toEqual([{ match: 'tcp dport', value: 22 }])

    expect(readBack('ip', [{ match: 'ip protocol', value: 'tcp' }, { match: 'tcp dport', value: 22 }])).toEqual([{ match: 'tcp dport', value: 22 }])
  })
})

describe('raw fallback', () => {
  const env = { family: 'inet' as const, anonSet: () => undefined }

  it('turns a rule with an unknown expression into a single { raw } with every expression', () => {
    const exprs: NativeExpr[] = [
      { type: 'meta', key: 16, dreg: 1 },
      { type: 'cmp', sreg: 1, op: 0, data: Buffer.from([6]) },
      { type: 'xt', name: 'foo' },
      { type: 'immediate', dreg: 0, verdict: 1 },
    ]
    const out = decodeRule(exprs, env)
    expect(out).toEqual([{ raw: exprs }])
    expect((out[0] as RawExpr).raw).toBe(exprs)
  })

  it.each([
    ['an unknown meta key', [{ type: 'meta', key: 26, dreg: 1 }, { type: 'cmp', sreg: 1, op: 0, data: Buffer.from([0, 0, 0, 0]) }]],
    ['a cmp lt of a host-order key without a byteorder', [{ type: 'meta', key: 3, dreg: 1 }, { type: 'cmp', sreg: 1, op: 2, data: Buffer.from([0, 0, 0, 22]) }]],
    ['a lookup into an unknown anonymous set', [{ type: 'meta', key: 16, dreg: 1 }, { type: 'lookup', sreg: 1, set: '__set0' }]],
    ['a data map lookup', [{ type: 'meta', key: 16, dreg: 1 }, { type: 'lookup', sreg: 1, set: 'm', dreg: 1 }]],
    ['a load and bitwise nothing compares', [{ type: 'meta', key: 3, dreg: 1 }, { type: 'bitwise', sreg: 1, dreg: 1, len: 4, mask: Buffer.alloc(4, 255), xor: Buffer.from([1, 0, 0, 0]) }]],
    ['an unknown verdict', [{ type: 'immediate', dreg: 0, verdict: 3 }]],
    ['a limit of an unknown type', [{ type: 'limit', rate: 1, unit: 1, burst: 0, limitType: 2, flags: 0 }]],
  ] as Array<[string, NativeExpr[]]>)('covers %s', (_what, exprs) => {
    expect(decodeRule(exprs, env)).toEqual([{ raw: exprs }])
  })

  it('compiling { raw } passes the native expressions through, so a raw rule round-trips', () => {
    const raw: NativeExpr[] = [{ type: 'xt', name: 'foo' }, { type: 'immediate', dreg: 0, verdict: 0 }]
    const decoded = decodeRule(raw, env)
    const recompiled = compileRule(decoded as unknown as RuleExpr[], { family: 'inet', table: 't', findSet: () => undefined, nextSetId: () => 1 }, 'x')
    expect(recompiled.exprs).toEqual(raw)
    expect(recompiled.sets).toEqual([])
  })

  it('decodes an empty rule to no expressions', () => {
    expect(decodeRule([], env)).toEqual([])
  })
})
