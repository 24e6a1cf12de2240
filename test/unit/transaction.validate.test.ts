/**
 * Transaction validation: every mistake is caught when the operation is added,
 * as an NftValidationError (a TypeError) naming the field path.
 */
import { describe, expect, it } from 'vitest'
import { DATATYPES } from '../../lib/kernel/datatypes.js'
import type { NftObject } from '../../lib/model/objects.js'
import { Transaction } from '../../lib/batch/transaction.js'
import { rejection } from '../helpers/rejection.js'


const tx = (family?: 'ip' | 'ip6' | 'inet' | 'bridge' | 'netdev' | 'arp') => new Transaction({ table: 't', ...(family ? { family } : {}) })
/** Bypasses the static types to feed the runtime checks bad input. */
const bad = <T>(v: unknown): T => v as T

const rule = (exprs: unknown[], family?: 'ip' | 'ip6' | 'inet' | 'bridge' | 'netdev' | 'arp') =>
  tx(family).add(bad<NftObject>({ kind: 'rule', chain: 'c', exprs }))

describe('names and families', () => {
  it('rejects empty and over-long (bytes) names', () => {
    const empty = rejection(() => new Transaction().add({ kind: 'table', name: '' }))
    expect(empty.path).toBe('add(0).name')
    expect(empty.reason).toBe('Expected a table name of 1-255 bytes')
    expect(empty.value).toBe('')
    expect(rejection(() => tx().add({ kind: 'chain', name: 'x'.repeat(256) })).path).toBe('add(0).name')
    expect(rejection(() => tx().add({ kind: 'chain', name: 'é'.repeat(128) })).reason).toBe('Expected a chain name of 1-255 bytes')
    expect(rejection(() => tx().add({ kind: 'set', name: 'a\u0000b', type: 'ipv4_addr' })).reason).toBe('Expected a set name of 1-255 bytes')
    expect(() => tx().add({ kind: 'table', name: 'x'.repeat(255) })).not.toThrow()
  })

  it('counts the operation index in the path', () => {
    const t = tx().add({ kind: 'table' }).add({ kind: 'chain', name: 'a' })
    expect(rejection(() => t.add({ kind: 'chain', name: '' })).path).toBe('add(2).name')
    expect(rejection(() => t.delete(bad({ kind: 'rule', chain: 'a' }))).path).toBe('delete(2).handle')
    expect(t.length).toBe(2) // failed operations are not recorded
  })

  it('rejects a bad table name on the transaction options and a missing table', () => {
    expect(rejection(() => new Transaction({ table: '' })).path).toBe('options.table')
    const e = rejection(() => new Transaction().add({ kind: 'chain', name: 'c' }))
    expect(e.path).toBe('add(0).table')
    expect(e.reason).toBe('Expected a table name (or a default table on the transaction/client)')
  })

  it('rejects unknown families on objects, the transaction and ruleset flushes', () => {
    const e = rejection(() => tx().add(bad({ kind: 'table', family: 'ipv4' })))
    expect(e.path).toBe('add(0).family')
    expect(e.reason).toBe('Expected a family: ip, ip6, inet, arp, bridge, netdev')
    expect(e.value).toBe('ipv4')
    expect(rejection(() => new Transaction({ family: bad('ether') })).path).toBe('options.family')
    expect(rejection(() => tx().flush(bad({ kind: 'ruleset', family: 'x' }))).path).toBe('flush(0).family')
  })

  it('rejects objects without a known kind', () => {
    expect(rejection(() => tx().add(bad(null))).path).toBe('add(0)')
    const e = rejection(() => tx().add(bad({ kind: 'tabel' })))
    expect(e.path).toBe('add(0).kind')
    expect(e.reason).toBe('Expected a kind: table, chain, rule, set, map, element, counter, quota, limit, synproxy, ct helper, ct expectation, ruleset')
  })

  it('does not take names of Object.prototype for kinds, types, flags or chain types', () => {
    expect(rejection(() => tx().add(bad({ kind: 'toString' }))).path).toBe('add(0).kind')
    expect(rejection(() => tx().add(bad({ kind: 'set', name: 's', type: 'constructor' }))).path).toBe('add(0).type')
    expect(rejection(() => tx().add(bad({ kind: 'set', name: 's', type: 'ipv4_addr', flags: ['hasOwnProperty'] }))).path).toBe('add(0).flags[0]')
    expect(rejection(() => tx().add(bad({ kind: 'table', flags: ['valueOf'] }))).path).toBe('add(0).flags[0]')
    expect(rejection(() => tx().add(bad({ kind: 'chain', name: 'c', hook: 'input', type: 'toString', priority: 0 }))).path).toBe('add(0).type')
  })
})

describe('verbs', () => {
  it('rejects a verb that does not apply to the kind, listing the kinds it applies to', () => {
    const e = rejection(() => tx().insert(bad({ kind: 'table' })))
    expect(e.path).toBe('insert(0).kind')
    expect(e.reason).toBe('Expected a kind that supports insert (insert applies to rule)')
    expect(rejection(() => tx().flush(bad({ kind: 'rule', chain: 'c', exprs: [] }))).reason).toBe(
      'Expected a kind that supports flush (flush applies to table, chain, set, map, ruleset)',
    )
    expect(rejection(() => tx().replace(bad({ kind: 'chain', name: 'c' }))).path).toBe('replace(0).kind')
    expect(rejection(() => tx().add(bad({ kind: 'ruleset' }))).path).toBe('add(0).kind')
    expect(rejection(() => tx().create(bad({ kind: 'rule', chain: 'c', exprs: [] }))).path).toBe('create(0).kind')
  })

  it('requires a handle to replace or delete a rule', () => {
    const r = rejection(() => tx().replace(bad({ kind: 'rule', chain: 'c', exprs: [] })))
    expect(r.path).toBe('replace(0).handle')
    expect(r.reason).toBe('Expected a rule/object handle (a positive integer)')
    expect(rejection(() => tx().delete(bad({ kind: 'rule', chain: 'c' }))).path).toBe('delete(0).handle')
    expect(rejection(() => tx().destroy({ kind: 'rule', chain: 'c', handle: 0 })).path).toBe('destroy(0).handle')
    expect(rejection(() => tx().delete({ kind: 'rule', chain: 'c', handle: 1.5 })).value).toBe(1.5)
  })

  it('rejects handles on add/insert and positions on replace', () => {
    const e = rejection(() => tx().add({ kind: 'rule', chain: 'c', exprs: [], handle: 4 }))
    expect(e.path).toBe('add(0).handle')
    expect(e.reason).toBe('Expected no handle on add (use position to place the rule, or replace)')
    expect(rejection(() => tx().replace({ kind: 'rule', chain: 'c', exprs: [], handle: 4, position: 2 })).path).toBe('replace(0).position')
    expect(rejection(() => tx().insert({ kind: 'rule', chain: 'c', exprs: [], position: -2 })).path).toBe('insert(0).position')
  })

  it('validates handles of deleted tables, chains and sets', () => {
    expect(rejection(() => tx().delete({ kind: 'table', handle: -1 })).path).toBe('delete(0).handle')
    expect(rejection(() => tx().delete({ kind: 'chain', name: 'c', handle: 0 })).path).toBe('delete(0).handle')
    expect(rejection(() => tx().destroy({ kind: 'set', name: 's', type: 'ipv4_addr', handle: bad('7') })).path).toBe('destroy(0).handle')
  })

  // Regression test (found as a bug, fixed): the counter kind accepts `handle` (it is in its allowed keys) but
  // #counter never validates it and never sends it: a delete by handle with a
  // nonsense handle passes silently and deletes by name instead. Tables,
  // chains and sets validate and send the handle.
  it('validates the handle of a deleted counter like the other kinds', () => {
    expect(rejection(() => tx().delete({ kind: 'counter', name: 'x', handle: -1 })).path).toBe('delete(0).handle')
  })
})

describe('options', () => {
  it('rejects unknown option keys with a did-you-mean', () => {
    const e = rejection(() => tx().add(bad({ kind: 'chain', name: 'c', type: 'filter', hook: 'input', priorty: 0 })))
    expect(e.path).toBe('add(0).priorty')
    expect(e.reason).toContain("Unknown option 'priorty'")
    expect(e.reason).toContain("did you mean 'priority'?")
    expect(e.value).toBe(0)
    const t = rejection(() => tx().add(bad({ kind: 'rule', chain: 'c', expr: [] })))
    expect(t.path).toBe('add(0).expr')
    expect(t.reason).toContain("did you mean 'exprs'?")
    const none = rejection(() => tx().add(bad({ kind: 'table', zzzzzzzz: 1 })))
    expect(none.reason).toBe("Unknown option 'zzzzzzzz'. Expected no such field")
  })

  it('rejects comments over 128 bytes (nft accepts 128)', () => {
    const e = rejection(() => tx().add({ kind: 'table', comment: 'x'.repeat(129) }))
    expect(e.path).toBe('add(0).comment')
    expect(e.reason).toBe('Expected a comment of at most 128 bytes')
    expect(rejection(() => tx().add({ kind: 'rule', chain: 'c', exprs: [], comment: 'é'.repeat(65) })).path).toBe('add(0).comment')
    expect(rejection(() => tx().add({ kind: 'counter', name: 'n', comment: bad(5) })).path).toBe('add(0).comment')
    expect(() => tx().add({ kind: 'chain', name: 'c', comment: 'x'.repeat(128) })).not.toThrow()
    expect(() => tx().add({ kind: 'quota', name: 'q', bytes: 0, comment: 'é'.repeat(64) })).not.toThrow()
  })

  it('rejects unknown table flags with the index', () => {
    const e = rejection(() => tx().add({ kind: 'table', flags: bad(['dormant', 'dorment']) }))
    expect(e.path).toBe('add(0).flags[1]')
    expect(e.reason).toBe('Expected one of dormant, owner, persist')
  })
})

describe('chains', () => {
  const base = { kind: 'chain', name: 'c', type: 'filter', hook: 'input', priority: 0 } as const

  it('rejects hooks not valid for the family', () => {
    const e = rejection(() => tx().add({ ...base, family: 'netdev', hook: 'input', devices: ['lo'] }))
    expect(e.path).toBe('add(0).hook')
    expect(e.reason).toBe('Expected a netdev hook: ingress, egress')
    expect(rejection(() => tx().add({ ...base, family: 'arp', hook: 'forward' })).reason).toBe('Expected a arp hook: input, output')
    expect(rejection(() => tx().add({ ...base, family: 'ip', hook: 'ingress' })).path).toBe('add(0).hook')
    expect(rejection(() => tx().add({ ...base, hook: bad('inptu') })).value).toBe('inptu')
  })

  it('rejects nat chains at forward and route chains outside output', () => {
    const nat = rejection(() => tx().add({ ...base, type: 'nat', hook: 'forward' }))
    expect(nat.path).toBe('add(0).type')
    expect(nat.reason).toBe('Expected a chain type valid at hook forward (nat chains hook prerouting, input, output, postrouting)')
    const route = rejection(() => tx().add({ ...base, type: 'route', hook: 'input' }))
    expect(route.path).toBe('add(0).type')
    expect(route.reason).toBe('Expected a chain type valid at hook input (route chains hook output)')
    expect(rejection(() => tx().add({ ...base, family: 'bridge', type: 'nat', hook: 'prerouting' })).reason).toBe(
      'Expected a chain type valid in a bridge table (nat is for ip, ip6, inet)',
    )
    expect(rejection(() => tx().add({ ...base, type: bad<'filter'>('mangle') })).reason).toBe('Expected a chain type: filter, nat or route')
    expect(() => tx().add({ ...base, type: 'route', hook: 'output' })).not.toThrow()
  })

  it('requires a hook and a priority for base chains', () => {
    const p = rejection(() => tx().add({ kind: 'chain', name: 'c', type: 'filter', hook: 'input' }))
    expect(p.path).toBe('add(0).priority')
    expect(p.reason).toBe('Expected a priority for a base chain')
    const h = rejection(() => tx().add({ kind: 'chain', name: 'c', policy: 'drop' }))
    expect(h.path).toBe('add(0).hook')
    expect(h.reason).toBe('Expected a hook for a base chain (type, priority and policy need one)')
  })

  it('rejects named priorities where nft does not define them', () => {
    const e = rejection(() => tx().add({ ...base, priority: 'dstnat' }))
    expect(e.path).toBe('add(0).priority')
    expect(e.reason).toContain('Expected a priority valid for inet input')
    expect(rejection(() => tx().add({ ...base, type: 'nat', hook: 'prerouting', priority: 'srcnat - 1' })).path).toBe('add(0).priority')
    expect(rejection(() => tx().add({ ...base, family: 'netdev', hook: 'ingress', devices: ['lo'], priority: 'raw' })).path).toBe('add(0).priority')
    expect(rejection(() => tx().add({ ...base, family: 'bridge', priority: 'out' })).path).toBe('add(0).priority')
    expect(rejection(() => tx().add({ ...base, priority: bad('filter +') })).reason).toBe(
      "Expected a priority: a number, a name such as 'filter', or 'srcnat - 1'",
    )
    expect(rejection(() => tx().add({ ...base, priority: 2 ** 31 })).reason).toBe('Expected a 32-bit integer priority')
    expect(rejection(() => tx().add({ ...base, priority: 1.5 })).path).toBe('add(0).priority')
  })

  // Regression test (found as a bug, fixed): string priorities skip the 32-bit range check numbers get: the
  // type-valid 'filter + 4294967296' (and the numeric string '99999999999')
  // reach the native op as priority 4294967296, which the kernel's s32 cannot hold.
  it('range-checks priorities given as strings', () => {
    expect(rejection(() => tx().add({ ...base, priority: 'filter + 4294967296' })).path).toBe('add(0).priority')
  })

  it('requires devices for netdev and ingress chains, and refuses them elsewhere', () => {
    const e = rejection(() => tx().add({ ...base, family: 'netdev', hook: 'ingress' }))
    expect(e.path).toBe('add(0).devices')
    expect(e.reason).toBe('Expected one or more devices for a netdev ingress chain')
    expect(rejection(() => tx().add({ ...base, family: 'netdev', hook: 'egress', devices: [] })).path).toBe('add(0).devices')
    expect(rejection(() => tx().add({ ...base, hook: 'ingress' })).reason).toBe('Expected one or more devices for a inet ingress chain')
    expect(rejection(() => tx().add({ ...base, devices: ['lo'] })).reason).toBe('Expected no devices: only ingress/egress chains bind to devices')
    expect(rejection(() => tx().add({ kind: 'chain', name: 'r', devices: ['lo'] })).reason).toBe('Expected no devices on a regular chain')
    const dev = rejection(() => tx().add({ ...base, family: 'netdev', hook: 'ingress', devices: ['lo', 'x'.repeat(16)] }))
    expect(dev.path).toBe('add(0).devices[1]')
  })

  it('rejects bad policies', () => {
    const e = rejection(() => tx().add({ ...base, policy: bad<'drop'>('reject') }))
    expect(e.path).toBe('add(0).policy')
    expect(e.reason).toBe("Expected 'accept' or 'drop'")
  })
})

describe('sets, maps and elements', () => {
  it('rejects unknown key types, with the field index for concatenations', () => {
    const e = rejection(() => tx().add({ kind: 'set', name: 's', type: bad('ipv4') }))
    expect(e.path).toBe('add(0).type')
    expect(e.reason).toBe('Expected a key type: ipv4_addr, ipv6_addr, inet_service, inet_proto, mark, ifname, ether_addr, icmpv6_type, tcp_flag, iface_index, classid, dscp')
    expect(rejection(() => tx().add({ kind: 'set', name: 's', type: bad(['ipv4_addr', 'port']) })).path).toBe('add(0).type[1]')
    expect(rejection(() => tx().add({ kind: 'set', name: 's', type: bad([]) })).reason).toBe('Expected a key type or a list of 1-16 key types')
  })

  it('rejects interval sets of unordered key types, set flags and map value types', () => {
    // Every key type supports intervals now (marks are stored big-endian, as nft does).
    expect(() => tx().add({ kind: 'set', name: 's', type: 'mark', flags: ['interval'], elements: ['0x00000010/28'] })).not.toThrow()
    // Concatenated too: their mark fields are stored big-endian (lookups convert the key with byteorder).
    expect(() => tx().add({ kind: 'set', name: 's', type: ['ipv4_addr', 'mark'], flags: ['interval'], elements: [['10.0.0.0/8', '1-5']] })).not.toThrow()
    expect(rejection(() => tx().add({ kind: 'set', name: 's', type: 'ipv4_addr', flags: bad(['intervals']) })).path).toBe('add(0).flags[0]')
    expect(rejection(() => tx().add({ kind: 'map', name: 'm', type: 'ipv4_addr', map: bad('accept') })).path).toBe('add(0).map')
    expect(rejection(() => tx().add({ kind: 'set', name: 's', type: 'ipv4_addr', policy: bad('fast') })).path).toBe('add(0).policy')
    expect(rejection(() => tx().add({ kind: 'set', name: 's', type: 'ipv4_addr', size: -1 })).path).toBe('add(0).size')
  })

  it('rejects elements for a set it does not know', () => {
    const e = rejection(() => tx().add({ kind: 'element', set: 'nope', elements: ['10.0.0.1'] }))
    expect(e.path).toBe('add(0).set')
    expect(e.reason).toContain('declare set nope in this transaction')
    expect(rejection(() => tx().add({ kind: 'element', set: 's', elements: [] })).path).toBe('add(0).elements')
  })

  it('finds sets declared earlier (same family and table only) or through the resolver', () => {
    const t = tx().add({ kind: 'set', name: 's', type: 'ipv4_addr' })
    expect(() => t.add({ kind: 'element', set: 's', elements: ['10.0.0.1'] })).not.toThrow()
    expect(rejection(() => t.add({ kind: 'element', family: 'ip', set: 's', elements: ['10.0.0.1'] })).path).toBe('add(2).set')
    const asked: string[] = []
    const r = new Transaction({
      table: 't',
      sets: (family, table, name) => {
        asked.push(`${family}/${table}/${name}`)
        return name === 'ext' ? { shape: { name: 'ext', key: [DATATYPES.inet_service], interval: false } } : undefined
      },
    })
    expect(() => r.add({ kind: 'element', set: 'ext', elements: [22] })).not.toThrow()
    expect(rejection(() => r.add({ kind: 'element', set: 'ext', elements: ['10.0.0.1'] })).path).toBe('add(1).elements[0]')
    expect(asked).toEqual(['inet/t/ext', 'inet/t/ext'])
  })

  it('rejects elements of the wrong type with the element path', () => {
    const t = tx().add({ kind: 'set', name: 's', type: 'ipv4_addr' })
    const e = rejection(() => t.add({ kind: 'element', set: 's', elements: ['10.0.0.1', '2001:db8::1'] }))
    expect(e.path).toBe('add(1).elements[1]')
    expect(e.reason).toBe('Expected an IPv4 address, CIDR or range')
    expect(e.value).toBe('2001:db8::1')
    expect(rejection(() => tx().add({ kind: 'set', name: 's', type: 'ipv4_addr', elements: ['10.0.0.0/8'] })).path).toBe('add(0).elements[0]')
    expect(rejection(() => tx().add({ kind: 'map', name: 'm', type: 'ipv4_addr', map: 'verdict', elements: ['10.0.0.1'] })).path).toBe(
      'add(0).elements[0].value',
    )
  })

  it('deletes map elements by key alone, as nft does, ignoring values given anyway', () => {
    const t = tx().add({ kind: 'map', name: 'vm', type: 'ipv4_addr', map: 'verdict' })
    t.delete({ kind: 'element', set: 'vm', elements: ['10.0.0.1', { key: '10.0.0.2', value: 'accept' }, '10.0.0.1'] })
    expect(t.prepare().ops[1].elements).toEqual([{ key: Buffer.from('0a000001', 'hex') }, { key: Buffer.from('0a000002', 'hex') }])
    // Adding still needs the value.
    expect(rejection(() => t.add({ kind: 'element', set: 'vm', elements: ['10.0.0.1'] })).path).toBe('add(2).elements[0].value')
  })
})

describe('rule expressions', () => {
  it('rejects CIDR host bits in a match value with the expression path', () => {
    const e = rejection(() => rule([{ match: 'ip saddr', value: '10.0.0.1/8' }]))
    expect(e.path).toBe('add(0).exprs[0].value')
    expect(e.reason).toBe('Expected a CIDR with no host bits set (did you mean 10.0.0.0/8?)')
    expect(rejection(() => rule([{ stmt: 'counter' }, { match: 'ip saddr', value: ['10.0.0.1', '10.0.0.1/24'] }])).path).toBe(
      'add(0).exprs[1].value[1]',
    )
    expect(rejection(() => rule([{ match: ['ip saddr', 'tcp dport'], value: [['10.0.0.1', 22], ['10.0.0.1/24', 80]] }])).path).toBe(
      'add(0).exprs[0].value[1][0]',
    )
  })

  it('rejects unknown selectors and statements', () => {
    const sel = rejection(() => rule([{ match: 'ip sadr', value: '10.0.0.1' }]))
    expect(sel.path).toBe('add(0).exprs[0].match')
    expect(sel.reason).toBe("Expected a selector such as 'ip saddr', 'tcp dport', 'meta iifname', 'ct state'")
    expect(rejection(() => rule([{ match: ['ip saddr', 'tcp dprt'], value: { set: 'x' } }])).path).toBe('add(0).exprs[0].match[1]')
    // Names of Object.prototype are not selectors either.
    for (const name of ['toString', 'constructor', '__proto__']) expect(rejection(() => rule([{ match: name, value: 1 }])).path).toBe('add(0).exprs[0].match')
    expect(rejection(() => rule([{ match: ' ip   saddr ', value: '10.0.0.300' }])).path).toBe('add(0).exprs[0].value') // spaced selector still recognised
    const st = rejection(() => rule([{ stmt: 'acept' }]))
    expect(st.path).toBe('add(0).exprs[0].stmt')
    expect(st.reason).toBe('Expected a known statement (counter, accept, drop, jump, reject, ...)')
    expect(rejection(() => rule([42])).path).toBe('add(0).exprs[0]')
    expect(rejection(() => rule([{ value: 1 }])).path).toBe('add(0).exprs[0]')
    expect(rejection(() => tx().add(bad({ kind: 'rule', chain: 'c', exprs: 'accept' }))).path).toBe('add(0).exprs')
  })

  it('rejects a port mapping without a transport protocol match', () => {
    const e = rejection(() => rule([{ stmt: 'snat', to: '1.2.3.4:80' }]))
    expect(e.path).toBe('add(0).exprs[0].to')
    expect(e.reason).toBe('Expected a transport protocol match (e.g. meta l4proto tcp) before a port mapping')
    expect(rejection(() => rule([{ stmt: 'masquerade', port: 1000 }])).path).toBe('add(0).exprs[0].port')
    expect(() => rule([{ match: 'meta l4proto', value: 'tcp' }, { stmt: 'snat', to: '1.2.3.4:80' }])).not.toThrow()
  })

  it('rejects reject with icmpx in ip and ip6 tables', () => {
    const e = rejection(() => rule([{ stmt: 'reject', with: { icmpx: 'admin-prohibited' } }], 'ip'))
    expect(e.path).toBe('add(0).exprs[0].with')
    expect(e.reason).toBe("Expected icmp/icmpv6 or 'tcp reset' (icmpx is for inet, bridge and netdev tables)")
    expect(rejection(() => rule([{ stmt: 'reject', with: { icmpx: 'no-route' } }], 'ip6')).path).toBe('add(0).exprs[0].with')
    expect(rejection(() => rule([{ stmt: 'reject', with: { icmp: 'bogus' } }], 'ip')).path).toBe('add(0).exprs[0].with.icmp')
    expect(rejection(() => rule([{ stmt: 'reject' }], 'arp')).path).toBe('add(0).exprs[0]')
  })

  it('rejects matches of the other network protocol', () => {
    const e = rejection(() => rule([{ match: 'ip6 saddr', value: '::1' }], 'ip'))
    expect(e.path).toBe('add(0).exprs[0]')
    expect(e.reason).toContain('ip6 saddr needs ip6')
    // `icmp type` in an ip6 table is not refused: nft reads it (meta l4proto icmp only), see test/unit/l2.test.ts.
    expect(rejection(() => rule([{ match: 'ip saddr', value: '1.1.1.1' }, { match: 'ip6 daddr', value: '::1' }])).path).toBe('add(0).exprs[1]')
    expect(rejection(() => rule([{ match: 'tcp dport', value: 22 }, { match: 'udp dport', value: 53 }])).reason).toContain(
      'Expected one transport protocol per rule',
    )
    // Link-layer fields in arp tables are accepted as nft accepts them (after `meta iiftype ether`; rules.arp.txt checks the bytes).
    expect(() => rule([{ match: 'ether saddr', value: '02:00:00:00:00:01' }], 'arp')).not.toThrow()
    expect(rejection(() => rule([{ stmt: 'snat', to: '2001:db8::1' }], 'ip')).reason).toBe('Expected an IPv4 address in an ip table')
  })

  it('checks values against their selector and set references against their set', () => {
    expect(rejection(() => rule([{ match: 'tcp dport', value: 70000 }])).path).toBe('add(0).exprs[0].value')
    expect(rejection(() => rule([{ match: 'tcp dport', op: '=>' as never, value: 1 }])).path).toBe('add(0).exprs[0].op')
    expect(rejection(() => rule([{ match: 'ct state', op: '<', value: 'new' }])).path).toBe('add(0).exprs[0].op')
    expect(rejection(() => rule([{ match: 'tcp dport', op: '<', value: '1-2' }])).path).toBe('add(0).exprs[0].value')
    expect(rejection(() => rule([{ match: 'ct state', value: ['established', 'estab'] }])).path).toBe('add(0).exprs[0].value[1]')
    expect(() => rule([{ match: 'ip saddr', value: '0.0.0.0/0' }])).not.toThrow() // as nft: a zero mask
    expect(() => rule([{ match: 'meta mark', value: '1-2' }])).not.toThrow() // as nft: converted to network order, then >= and <=
    expect(rejection(() => rule([{ match: 'meta mark', value: { set: 'unknown' } }])).path).toBe('add(0).exprs[0].value')
    const t = tx().add({ kind: 'set', name: 'addrs', type: 'ipv4_addr' })
    const e = rejection(() => t.add({ kind: 'rule', chain: 'c', exprs: [{ match: 'tcp dport', value: { set: 'addrs' } }] }))
    expect(e.path).toBe('add(1).exprs[0].value')
    expect(e.reason).toBe('Expected a set whose key type is inet_service; set addrs has ipv4_addr')
    const m = tx().add({ kind: 'map', name: 'marks', type: 'ipv4_addr', map: 'mark' })
    expect(rejection(() => m.add({ kind: 'rule', chain: 'c', exprs: [{ stmt: 'vmap', key: 'ip saddr', map: { set: 'marks' } }] })).reason).toBe(
      'Expected a verdict map; marks maps to mark',
    )
  })

  it('checks statement fields', () => {
    expect(rejection(() => rule([{ stmt: 'jump', chain: '' }])).path).toBe('add(0).exprs[0].chain')
    expect(rejection(() => rule([{ stmt: 'log', level: 'loud' }])).path).toBe('add(0).exprs[0].level')
    expect(rejection(() => rule([{ stmt: 'log', prefix: 'x'.repeat(128) }])).path).toBe('add(0).exprs[0].prefix')
    expect(rejection(() => rule([{ stmt: 'limit', rate: 0, per: 'second' }])).path).toBe('add(0).exprs[0].rate')
    expect(rejection(() => rule([{ stmt: 'limit', rate: 1, per: 'year' }])).path).toBe('add(0).exprs[0].per')
    expect(rejection(() => rule([{ stmt: 'meta mark set', value: -1 }])).path).toBe('add(0).exprs[0].value')
    expect(rejection(() => rule([{ stmt: 'counter', packets: -1 }])).path).toBe('add(0).exprs[0].packets')
    expect(rejection(() => rule([{ stmt: 'snat', to: '10.0.0.1', flags: ['sticky' as never] }])).path).toBe('add(0).exprs[0].flags[0]')
    expect(rejection(() => rule([{ stmt: 'redirect', port: 80 }])).path).toBe('add(0).exprs[0].port')
    expect(rejection(() => rule([{ stmt: 'tproxy', to: '1.2.3.4' }])).path).toBe('add(0).exprs[0]')
    expect(rejection(() => rule([{ stmt: 'synproxy', wscale: 15 }])).path).toBe('add(0).exprs[0].wscale')
    expect(rejection(() => rule([{ stmt: 'snat', to: '10.0.0.1', prefix: true }])).path).toBe('add(0).exprs[0].to')
    expect(rejection(() => rule([{ stmt: 'dnat', to: '10.0.0.1', family: 'ip6' }])).path).toBe('add(0).exprs[0].family')
    expect(rejection(() => rule([{ stmt: 'tcp mss set', value: 70000 }])).path).toBe('add(0).exprs[0].value')
    expect(rejection(() => rule([{ stmt: 'vmap', key: 'ip saddr', map: [] }])).path).toBe('add(0).exprs[0].map')
    expect(rejection(() => rule([{ stmt: 'vmap', key: 'ip saddr', map: [['10.0.0.1', 'reject']] }])).path).toBe('add(0).exprs[0].map[0][1]')
  })
})

describe('kernel and netlink size limits', () => {
  /** n distinct interface names of 1-3 bytes. */
  const names = (n: number) => Array.from({ length: n }, (_, i) => i.toString(36))
  const netdev = (devices: string[]) => tx('netdev').add({ kind: 'chain', name: 'c', type: 'filter', hook: 'ingress', priority: 0, devices })

  it('refuses a device list over one netlink attribute, naming its size (the 16-bit length would wrap)', () => {
    const e = rejection(() => netdev(names(8194)))
    expect(e.path).toBe('add(0).devices')
    expect(e.reason).toBe(
      'Expected a device list that fits one netlink attribute: 8194 devices need 65576 bytes (64.0 KiB) of netlink attributes, over the 64 KiB limit of one attribute (65535 bytes)',
    )
    expect(e.message).toContain('but received an array of 8194')
    // 15-byte names reach the limit sooner.
    const long = Array.from({ length: 3300 }, (_, i) => `eth${String(i).padStart(12, '0')}`)
    expect(rejection(() => netdev(long)).reason).toContain('3300 devices need 66024 bytes')
  })

  it('refuses more than 255 devices per hook (EFBIG from the kernel: NFT_NETDEVICE_MAX)', () => {
    const e = rejection(() => netdev(names(256)))
    expect(e.path).toBe('add(0).devices')
    expect(e.reason).toBe('Expected at most 255 devices per hook (the kernel refuses more with EFBIG: NFT_NETDEVICE_MAX is 256)')
    expect(rejection(() => netdev(names(300))).reason).toContain('at most 255 devices')
    expect(() => netdev(names(255))).not.toThrow()
  })

  it('refuses more than 128 kernel expressions per rule (NFT_RULE_MAXEXPRS), counting compiled expressions', () => {
    const e = rejection(() => rule(Array.from({ length: 129 }, () => ({ stmt: 'counter' }))))
    expect(e.path).toBe('add(0).exprs')
    expect(e.reason).toBe("Expected at most 128 kernel expressions per rule (the kernel's NFT_RULE_MAXEXPRS): these 129 matches and statements compile to 129")
    expect(() => rule(Array.from({ length: 128 }, () => ({ stmt: 'counter' })))).not.toThrow()
    // A match compiles to a load and a compare (the tcp dependency once): 64 of them are 130.
    const matches = Array.from({ length: 64 }, () => ({ match: 'tcp dport', value: 22 }))
    expect(rejection(() => rule(matches, 'ip')).reason).toMatch(/these 64 matches and statements compile to 130$/)
    expect(() => rule(matches.slice(1), 'ip')).not.toThrow()
  })

  it('refuses a rule whose expressions need more than one netlink attribute (64 KiB)', () => {
    const e = rejection(() => rule(Array.from({ length: 4000 }, () => ({ stmt: 'counter' }))))
    expect(e.path).toBe('add(0).exprs')
    expect(e.reason).toMatch(/^Expected expressions that fit one netlink attribute: 4000 kernel expressions need up to \d+ bytes \(\d+\.\d KiB\) of netlink attributes, over the 64 KiB limit of one attribute \(65535 bytes\)$/)
  })

  it('refuses set keys over 64 bytes (NFT_DATA_VALUE_MAXLEN)', () => {
    const e = rejection(() => tx().add({ kind: 'set', name: 's', type: ['ipv6_addr', 'ipv6_addr', 'ipv6_addr', 'ipv6_addr', 'ipv4_addr'] }))
    expect(e.path).toBe('add(0).type')
    expect(e.reason).toBe("Expected a key of at most 64 bytes (the kernel's NFT_DATA_VALUE_MAXLEN), not 68 bytes")
    expect(() => tx().add({ kind: 'set', name: 's', type: ['ipv6_addr', 'ipv6_addr', 'ipv6_addr', 'ipv6_addr'] })).not.toThrow()
  })
})
