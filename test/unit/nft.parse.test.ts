import { describe, expect, it } from 'vitest'
import { NftSyntaxError, parseNft, parseRule, parseTime, rule } from '../../lib/nft/parser.js'
import { INET_CASES } from '../kernel/differential.cases.js'

function syntaxError(f: () => unknown): NftSyntaxError {
  try {
    f()
  } catch (e) {
    if (e instanceof NftSyntaxError) return e
    throw e
  }
  throw new Error('expected an NftSyntaxError, nothing was thrown')
}

describe('parseRule', () => {
  // The differential corpus is verified against nft: its text must parse to its typed form
  // (anonymous-set order aside, which the kernel sorts).
  // Cases whose canonical (read-back) form differs from what is written: anonymous
  // sets come back in nft's sort order, and tcp reset shows its protocol dependency.
  const WRITTEN_DIFFERS = new Set(['icmp type { echo-request, echo-reply } accept', 'iifname { "eth0", "wg0" } accept', 'reject with tcp reset'])
  for (const c of INET_CASES) {
    if (WRITTEN_DIFFERS.has(c.nft)) continue
    it(c.nft, () => {
      const r = parseRule(c.nft)
      expect(r.exprs).toEqual(c.exprs)
      expect(r.comment).toEqual(c.comment)
    })
  }

  it('accepts == and canonicalises values (hex ports, 0x marks)', () => {
    expect(parseRule('tcp dport == 0x16 meta mark 0x10 accept').exprs).toEqual([
      { match: 'tcp dport', value: 22 },
      { match: 'meta mark', value: 16 },
      { stmt: 'accept' },
    ])
  })

  it('reads nft\'s "!" for none-of-these flags', () => {
    expect(parseRule('ct state ! established,related drop').exprs).toEqual([
      { match: 'ct state', op: '!', value: ['established', 'related'] },
      { stmt: 'drop' },
    ])
  })

  // Regression test (found as a bug, fixed): `tcp flags == syn` was read as the
  // bit test `tcp flags syn`, `ct status ! dnat` as `ct status != dnat`, and
  // `tcp flags syn|ack` (a bit test in nft) as an exact compare.
  it('keeps each flag operator: no op / ! are bit tests, == / != exact compares', () => {
    const one = (text: string) => parseRule(text).exprs[0]
    expect(one('tcp flags syn')).toEqual({ match: 'tcp flags', value: 'syn' })
    expect(one('tcp flags == syn')).toEqual({ match: 'tcp flags', op: '==', value: 'syn' })
    expect(one('tcp flags != syn')).toEqual({ match: 'tcp flags', op: '!=', value: 'syn' })
    expect(one('tcp flags ! syn')).toEqual({ match: 'tcp flags', op: '!', value: 'syn' })
    expect(one('tcp flags syn|ack')).toEqual({ match: 'tcp flags', value: ['syn', 'ack'] })
    expect(one('tcp flags syn | ack')).toEqual({ match: 'tcp flags', value: ['syn', 'ack'] })
    expect(one('tcp flags == syn,ack')).toEqual({ match: 'tcp flags', op: '==', value: 'syn | ack' })
    expect(one('ct status ! dnat')).toEqual({ match: 'ct status', op: '!', value: 'dnat' })
    expect(one('ct status != snat|dnat')).toEqual({ match: 'ct status', op: '!=', value: 'snat | dnat' })
    expect(one('ct state == { established, related }')).toEqual({ match: 'ct state', value: { elements: ['established', 'related'] } })
    expect(rule`tcp flags == ${'syn'}`.exprs).toEqual([{ match: 'tcp flags', op: '==', value: 'syn' }])
    expect(rule`ct state ! ${['invalid', 'untracked']}`.exprs).toEqual([{ match: 'ct state', op: '!', value: ['invalid', 'untracked'] }])
  })

  it('refuses what it cannot compile as nft does, with a clear error', () => {
    const msg = (text: string) => {
      try {
        parseRule(text)
      } catch (e) {
        return (e as Error).message
      }
      return 'accepted'
    }
    expect(msg('meta mark << 2 == 4')).toContain("nftkit does not support shifts ('meta mark << ...') in a match yet")
    expect(msg('ip saddr & 0.0.0.255 < 0.0.0.127')).toBe('accepted')
    expect(msg('tcp flags & syn < 0x2')).toContain("nftkit does not support the comparison 'tcp flags & ... <' yet")
    // What nft knows and nftkit does not yet is named.
    expect(msg('meta iifkind "veth"')).toContain("nftkit does not support 'meta iifkind' yet")
    expect(msg('ibriport "br0" accept')).toContain("nftkit does not support 'meta ibriport' yet")
    expect(msg('ct original saddr 10.0.0.1')).toContain("nftkit does not support 'ct original saddr' yet")
    expect(msg('rt nexthop 192.168.0.1')).toContain("write 'rt ip nexthop' or 'rt ip6 nexthop'")
    expect(msg('rt ip nexthop 192.168.0.1')).toBe('accepted')
    expect(msg('ipsec in reqid 1')).toBe('accepted')
    expect(msg('meta mark set mark map { 1 : 2 }')).toBe('accepted')
    expect(msg('0x3 & meta mark == 1')).not.toBe('accepted')
    expect(msg('tcp dport < { 1, 2 }')).toContain("'<' compares one integer, address, time or class id with one value")
    expect(msg('ct state < established')).toContain("'<' compares one integer")
    // nft: "negation can only be used with singleton bitmask values"
    expect(msg('meta mark ! 0x1')).toContain('negation (!) can only be used with tcp flags, ct state and ct status values')
    expect(msg('ct state ! { established }')).toContain('not with a set')
  })
})

describe('syntax errors carry line, column and a caret', () => {
  it('points at an unknown statement', () => {
    const e = syntaxError(() => parseNft('table inet t {\n  chain c {\n    ip saddr 10.0.0.1 acept\n  }\n}\n', { file: 'fw.nft' }))
    expect(e.line).toBe(3)
    expect(e.col).toBe(23)
    expect(e.message).toBe("fw.nft:3:23: 'acept' is neither a match nor a statement nft or nftkit knows\n    ip saddr 10.0.0.1 acept\n                      ^^^^^")
  })

  it('points at a bad value with the validation reason', () => {
    const e = syntaxError(() => parseRule('ip saddr 10.0.0.5/24 accept'))
    expect(e.col).toBe(10)
    expect(e.message).toContain('no host bits set (did you mean 10.0.0.0/24?)')
  })

  it('says what was expected at the end of input', () => {
    const e = syntaxError(() => parseNft('table inet t {\n  chain c {\n'))
    expect(e.message).toContain('the end of the input')
  })

  it('refuses define/include and typeof with a clear message', () => {
    expect(syntaxError(() => parseNft('table inet t { set s { typeof osf name; } }')).message).toContain("'typeof osf name'")
  })
})

describe('tagged template', () => {
  it('inserts typed values', () => {
    const port = 22
    const nets = ['10.0.0.0/8', '192.168.0.0/16']
    expect(rule`ip saddr ${nets} tcp dport ${port} counter accept`.exprs).toEqual([
      { match: 'ip saddr', value: nets },
      { match: 'tcp dport', value: 22 },
      { stmt: 'counter' },
      { stmt: 'accept' },
    ])
  })

  it('never re-reads interpolated text as syntax (no injection)', () => {
    const evil = '10.0.0.1 accept\nflush ruleset'
    // The whole string is one value: it fails validation as an address instead of adding statements.
    expect(() => rule`ip saddr ${evil} drop`).toThrow(/Expected an IPv4 address, CIDR or range for ip saddr/)
    const comment = 'x" ; drop ; "'
    expect(rule`accept comment ${comment}`).toEqual({ exprs: [{ stmt: 'accept' }], comment })
  })

  it('accepts a set reference object and a chain name', () => {
    expect(rule`ip saddr ${{ set: 'allow' }} jump ${'next'}`.exprs).toEqual([
      { match: 'ip saddr', value: { set: 'allow' } },
      { stmt: 'jump', chain: 'next' },
    ])
  })
})

describe('files and commands', () => {
  it('orders a table block as nft applies it: table, chains, sets, rules', () => {
    const p = parseNft(`table inet fw {
  chain input {
    type filter hook input priority filter; policy drop;
    ip saddr @allow accept
  }
  set allow { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 192.168.1.1-192.168.1.9 } }
}
add element inet fw allow { 172.16.0.1 }
flush chain inet fw input
`)
    expect(p.tables).toEqual([{ family: 'inet', name: 'fw' }])
    expect(p.operations.map((o) => `${o.verb} ${o.object.kind}`)).toEqual(['add table', 'add chain', 'add set', 'add rule', 'add element', 'flush chain'])
    expect(p.operations[1].object).toEqual({ kind: 'chain', family: 'inet', table: 'fw', name: 'input', type: 'filter', hook: 'input', priority: 'filter', policy: 'drop' })
    expect(p.operations[4].object).toEqual({ kind: 'element', family: 'inet', table: 'fw', set: 'allow', elements: ['172.16.0.1'] })
  })

  it('reads priorities with offsets, devices, set options and elements with options', () => {
    const p = parseNft(`table netdev n {
  chain i { type filter hook ingress devices = { "d0", "d1" } priority -5; policy accept; }
}
table inet t {
  chain post { type nat hook postrouting priority srcnat - 1; }
  map m { type ipv4_addr . inet_service : mark; elements = { 10.0.0.1 . 80 : 0x10 } }
  set s { type ipv4_addr; flags timeout; timeout 1h; size 100; comment "c"; elements = { 10.0.0.1 timeout 10m comment "x" counter } }
  counter cnt { packets 3 bytes 4 }
}
`)
    const objs = p.operations.map((o) => o.object as unknown as Record<string, unknown>)
    expect(objs[1]).toMatchObject({ devices: ['d0', 'd1'], priority: -5 })
    expect(objs.find((o) => o.name === 'post')).toMatchObject({ priority: 'srcnat - 1' })
    expect(objs.find((o) => o.name === 'm')).toMatchObject({ type: ['ipv4_addr', 'inet_service'], map: 'mark', elements: [{ key: ['10.0.0.1', 80], value: 16 }] })
    expect(objs.find((o) => o.name === 's')).toMatchObject({ timeout: 3600000, size: 100, comment: 'c', elements: [{ key: '10.0.0.1', timeout: 600000, comment: 'x', counter: true }] })
    expect(objs.find((o) => o.name === 'cnt')).toEqual({ kind: 'counter', family: 'inet', table: 't', name: 'cnt', packets: 3, bytes: 4 })
  })

  it('defaults the family to ip, as nft does', () => {
    expect(parseNft('add table t\n').operations[0].object).toEqual({ kind: 'table', family: 'ip', name: 't' })
  })

  it('parses rule positions and handles', () => {
    const p = parseNft('add rule inet t c position 5 accept\nreplace rule inet t c handle 7 drop\ndelete rule inet t c handle 8\n')
    expect(p.operations.map((o) => o.object)).toEqual([
      { kind: 'rule', family: 'inet', table: 't', chain: 'c', position: 5, exprs: [{ stmt: 'accept' }] },
      { kind: 'rule', family: 'inet', table: 't', chain: 'c', handle: 7, exprs: [{ stmt: 'drop' }] },
      { kind: 'rule', family: 'inet', table: 't', chain: 'c', handle: 8 },
    ])
  })
})

describe('parseTime', () => {
  it('reads nft time notation', () => {
    expect(parseTime('1h30m')).toBe(5400000)
    expect(parseTime('500ms')).toBe(500)
    expect(parseTime('1d2h3m4s5ms')).toBe(93784005)
    expect(parseTime('10')).toBe(10000)
    expect(parseTime('10x')).toBeUndefined()
  })
})

describe('set and vmap forms nft accepts', () => {
  it('reads flag combinations, nested sets and keys glued to their verdict', () => {
    expect(parseRule('tcp flags { syn, syn | ack }')).toEqual({ exprs: [{ match: 'tcp flags', value: { elements: ['syn', 'syn | ack'] } }] })
    expect(parseRule('ip saddr { { 1.1.1.0, 3.3.3.0 }, 2.2.2.0 }').exprs).toEqual([{ match: 'ip saddr', value: ['1.1.1.0', '3.3.3.0', '2.2.2.0'] }])
    expect(parseRule('tcp dport vmap { 25:accept, 28:drop }').exprs).toEqual([{ stmt: 'vmap', key: 'tcp dport', map: [[25, 'accept'], [28, 'drop']] }])
    expect(parseRule('ip6 saddr vmap { ::dddd: drop }').exprs).toEqual([{ stmt: 'vmap', key: 'ip6 saddr', map: [['::dddd', 'drop']] }])
  })
})
