/**
 * Conformance of set statements and set declarations (typeof, auto-merge) with
 * the nft binary: each file is loaded with `nft -f` in one namespace and with
 * `nftkit apply` in another; `nft list ruleset`, the kernel's expressions and
 * set userdata (`nft --debug=netlink`) and `nftkit list` must be identical.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { apply, list } from '../../lib/cli/main.js'
import { parseRule } from '../../lib/nft/parser.js'
import { renderRuleBody } from '../../lib/expr/render.js'
import { makeNetns } from '../helpers/netns.js'
import { normalize } from './corpus-lib.js'

const tmp = mkdtempSync(join(tmpdir(), 'nftkit-sets-'))

const CASES: Record<string, string> = {
  'set statements (inet)': `table inet t {
  set s { type ipv4_addr; size 65535; flags dynamic,timeout; }
  set c { type ipv4_addr . inet_service; size 1024; flags dynamic,timeout; }
  map m { type ipv4_addr : mark; size 1024; flags dynamic,timeout; }
  map m2 { type ipv4_addr : inet_service; size 1024; flags dynamic,timeout; }
  chain x {
    add @s { ip saddr }
    update @s { ip saddr timeout 10s limit rate 10/second }
    update @s { ip saddr limit rate 10/second burst 7 packets counter }
    tcp dport 22 add @s { ip saddr counter } accept
    delete @s { ip saddr }
    add @c { ip saddr . 10002 timeout 1s }
    tcp dport 21 add @c { ip saddr . tcp dport }
    update @m { ip saddr : 0x1 }
    update @m2 { ip saddr timeout 5s : tcp sport }
  }
}
`,
  'set statements (ip)': `table ip t {
  set s { type ipv4_addr; size 65535; flags dynamic; }
  set e { type ether_addr; size 65535; flags dynamic; }
  set p { type inet_service . ipv4_addr; size 65535; flags dynamic; }
  chain x {
    ip saddr != @s add @s { ip saddr limit rate over 200/second burst 5 packets } counter drop
    add @e { ether saddr counter }
    tcp dport 80 add @p { tcp dport . ip saddr limit rate 10/second }
  }
}
`,
  'typeof and auto-merge': `table ip x {
  map w {
    typeof ip saddr . meta mark : verdict
    flags interval
    counter
    elements = { 127.0.0.1-127.0.0.4 . 0x00123434-0x00b00122 counter packets 0 bytes 0 : accept }
  }
  map dynmark {
    typeof ip daddr : meta mark
    size 64
    counter
    timeout 5m
  }
  set y {
    typeof ip saddr
    counter
    elements = { 192.168.10.35 counter packets 0 bytes 0, 192.168.10.101 counter packets 0 bytes 0 }
  }
  set i { typeof iifname . ip protocol . th dport; comment "x"; }
  set a { typeof ip saddr; flags interval; auto-merge; elements = { 1.1.1.1, 1.1.1.2, 10.0.0.0/24 } }
  set b { type ipv4_addr; flags interval; auto-merge; elements = { 10.0.0.1-10.0.0.5, 10.0.0.6 } }
  set e { typeof ct mark; }
  set t6 { typeof ip6 saddr . tcp dport; }
  chain k {
    type filter hook input priority filter + 1; policy accept;
    ip saddr . meta mark vmap @w
    ip saddr != @dynmark add @dynmark { ip saddr : 0x00000001 } counter
    ip saddr @dynmark delete @dynmark { ip saddr : 0x00000001 }
  }
}
`,
  'catch-all elements': `table ip x {
  map y {
    typeof ip saddr : meta mark
    elements = { 1.1.1.1 : 0x00000002, * : 0x00000003 }
  }
  set s { type ipv4_addr; elements = { *, 1.2.3.4 } }
  map v { type ipv4_addr : verdict; flags interval; elements = { 10.0.0.0/8 : accept, * : drop } }
  set p { type inet_proto; flags interval; elements = { 10-20, 50-60 } }
  chain c { ip saddr vmap @v; }
}
`,
  'object maps': `table inet filter {
  counter TEST { packets 0 bytes 0; }
  counter T2 { }
  map testmap { type ipv4_addr : counter; flags interval; elements = { 192.168.0.0/24 : "TEST", 10.0.0.1 : "T2" } }
  map countermap { type ipv4_addr : counter; }
  map h { type ipv4_addr : counter; elements = { 1.1.1.1 : "TEST", 1.1.1.2 : "T2" } }
}
`,
}

const RULES = [
  'add @s { ip saddr }',
  'update @s { ip saddr timeout 10s limit rate 10/second counter }',
  'delete @s { ip saddr . tcp dport }',
  'add @c { ip saddr . 10002 timeout 1s }',
  'update @m { ip saddr timeout 5s : tcp sport }',
]

describe('set statements and declarations: nft and nftkit load the same', () => {
  for (const [name, text] of Object.entries(CASES)) {
    it(name, () => {
      const file = join(tmp, `${name.replace(/\W+/g, '-')}.nft`)
      writeFileSync(file, text)
      const a = makeNetns('sta')
      const b = makeNetns('stb')
      try {
        execFileSync('ip', ['netns', 'exec', a.name, 'nft', '-f', file])
        apply([file], b.name)
        const theirs = normalize(a.nft('list', 'ruleset'))
        expect(normalize(b.nft('list', 'ruleset'))).toBe(theirs)
        expect(b.bytecode()).toBe(a.bytecode())
        expect(normalize(list(b.name))).toBe(theirs)
      } finally {
        a.remove()
        b.remove()
      }
    })
  }

  for (const r of RULES)
    it(`parse(render(x)) == x: ${r}`, () => {
      const parsed = parseRule(r)
      expect(renderRuleBody(parsed)).toBe(r)
      expect(parseRule(renderRuleBody(parsed))).toEqual(parsed)
    })
})
