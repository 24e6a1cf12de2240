import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseNft, parseRule } from '../../lib/nft/parser.js'
import { nftIncludeReader } from '../../lib/sources/nft-include.js'

const T = (body: string) => `table inet t {\n  chain c {\n    ${body}\n  }\n}\n`
const ops = (text: string, include = nftIncludeReader([])) => parseNft(text, { file: 'x.nft', include }).operations

describe('define and $variables', () => {
  it('a file with variables parses as the same file written out', () => {
    const withVars = `define lan = 10.0.0.0/8\ndefine ports = {\n  80,\n  443\n}\ndefine both = $lan\n${T('ip saddr $both tcp dport $ports accept')}`
    expect(ops(withVars)).toEqual(ops(T('ip saddr 10.0.0.0/8 tcp dport { 80, 443 } accept')))
  })
  it('redefine replaces, undefine removes, later uses see the change', () => {
    const text = `define p = 22\nredefine p = 2222\n${T('tcp dport $p accept')}\nundefine p\n`
    expect(ops(text)).toEqual(ops(T('tcp dport 2222 accept')))
  })
  it('refuses an unknown variable at its position', () => {
    expect(() => ops(T('tcp dport $nope accept'))).toThrow(/x\.nft:3:15: unknown variable '\$nope'/)
  })
  it('refuses a second define of a name', () => {
    expect(() => ops('define a = 1\ndefine a = 2\n')).toThrow(/x\.nft:2:8: 'a' is already defined \(use redefine/)
  })
  it('refuses undefine of a name never defined and a define without a value', () => {
    expect(() => ops('undefine a\n')).toThrow(/undefine of 'a', which is not defined/)
    expect(() => ops('define a =\n')).toThrow(/expected a value after define a =/)
  })
  it('the rule tag has no defines: $name is an unknown variable, not syntax', () => {
    expect(() => parseRule('tcp dport $p accept')).toThrow(/unknown variable '\$p'/)
  })
})

describe('include', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nftkit-include-'))
  mkdirSync(join(dir, 'd'))
  writeFileSync(join(dir, 'd', 'b.nft'), 'define b = 2\n')
  writeFileSync(join(dir, 'd', 'a.nft'), 'define a = 1\n')
  writeFileSync(join(dir, 'd', 'c.txt'), 'this is not read\n')
  writeFileSync(join(dir, 'bad.nft'), 'define ok = 1\ntable inet t { chain c { tcp dport $missing } }\n')
  writeFileSync(join(dir, 'syntax.nft'), '\ntable inet t { chain c { tcp dport nosuchport } }\n')
  writeFileSync(join(dir, 'loop.nft'), `include "${join(dir, 'loop.nft')}"\n`)

  it('wildcards include every match in name order; defines carry over', () => {
    const text = `include "${dir}/d/*.nft"\n${T('tcp dport { $a, $b } accept')}`
    expect(ops(text)).toEqual(ops(T('tcp dport { 1, 2 } accept')))
  })
  it('a wildcard that matches nothing includes nothing; a missing plain name is an error', () => {
    expect(ops(`include "${dir}/none/*.nft"\n`)).toEqual([])
    expect(() => ops(`include "${dir}/nope.nft"\n`)).toThrow(/x\.nft:1:9: cannot include ".*nope\.nft": no such file/)
  })
  it('names without / ./ ../ are searched in the include path', () => {
    expect(ops(`include "d/a.nft"\n${T('tcp dport $a accept')}`, nftIncludeReader([join(dir, 'x'), dir]))).toEqual(ops(T('tcp dport 1 accept')))
    expect(() => ops('include "d/a.nft"\n', nftIncludeReader(['/nonexistent']))).toThrow(/no such file in the include path \(\/nonexistent\)/)
  })
  it('an error inside an included file names that file and line', () => {
    expect(() => ops(`include "${dir}/bad.nft"\n`)).toThrow(new RegExp(`${dir}/bad\\.nft:2:36: unknown variable '\\$missing'`))
  })
  it('a syntax error inside an included file shows that file, its line and a caret', () => {
    expect(() => ops(`include "${dir}/syntax.nft"\n`)).toThrow(new RegExp(`${dir}/syntax\\.nft:2:36: .*\\n.*tcp dport nosuchport.*\\n {35}\\^`))
  })
  it('an include loop stops with a clear error', () => {
    expect(() => ops(`include "${dir}/loop.nft"\n`)).toThrow(/includes nested more than 16 deep/)
  })
  it('without a reader, include is refused with what to do', () => {
    expect(() => parseNft('include "a.nft"\n')).toThrow(/include needs files to read/)
  })
})

describe('nftkit -I / --includepath', () => {
  it('collects the directories in order', async () => {
    const { parseArgs } = await import('../../lib/cli/args.js')
    expect(parseArgs(['apply', 'f.nft', '-I', '/a', '--includepath=/b', '--includepath', '/c']).includePath).toEqual(['/a', '/b', '/c'])
    expect(() => parseArgs(['apply', 'f.nft', '-I'])).toThrow(/-I needs a directory/)
  })
})
