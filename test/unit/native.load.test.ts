/**
 * The loader (lib/io/native.ts): an addon that is missing or does not load gives
 * one message naming the packages of a from-source build and the command to
 * run, never a bare dlopen or node-gyp-build error; the package's own addon
 * loads and is cached; `version` is the package's.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadBinding, version } from '../../lib/index.js'

const howTo = /apt-get install libnftnl-dev libmnl-dev pkg-config g\+\+ make python3[\s\S]*apk add libnftnl-dev[\s\S]*npm rebuild nftkit --build-from-source/

describe('loadBinding', () => {
  it('names the packages and the rebuild command when the file is missing', () => {
    expect(() => loadBinding('/nonexistent/nftkit.node')).toThrow(/native addon not found at \/nonexistent\/nftkit\.node/)
    expect(() => loadBinding('/nonexistent/nftkit.node')).toThrow(howTo)
  })

  it('names the file, the platform and the fix when the file does not load', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'nftkit-load-')), 'nftkit.node')
    writeFileSync(file, 'not an ELF object')
    expect(() => loadBinding(file)).toThrow(/nftkit\.node does not load on this system \(linux-/)
    expect(() => loadBinding(file)).toThrow(howTo)
  })

  it("loads the package's own addon once", () => {
    const b = loadBinding()
    expect(typeof b.Socket).toBe('function')
    expect(loadBinding()).toBe(b)
  })
})

describe('version', () => {
  it("is package.json's", () => {
    expect(version).toBe(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version)
  })
})
