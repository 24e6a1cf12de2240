/**
 * Client.warmUp() runs the code of small commits; only empty batches reach
 * the kernel: the ruleset and its generation are unchanged, and the client
 * commits, lists and learns set shapes afterwards exactly as before; the
 * same for the warm-up a default client runs in the background.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '../../lib/index.js'
import { makeNetns, type Netns } from '../helpers/netns.js'

describe('warmUp', () => {
  let ns: Netns
  beforeAll(() => {
    ns = makeNetns('warmup')
    ns.nftFile('table inet w {\n  set s {\n    type ipv4_addr\n    flags interval\n    elements = { 10.0.0.1 }\n  }\n}\n')
  })
  afterAll(() => ns.remove())

  it('changes nothing: same ruleset, same generation; commits work afterwards', () => {
    const before = ns.ruleset()
    const c = createClient({ netns: ns.name, table: 'w', warmUp: 50 })
    const gen = c.generationSync()
    c.warmUp(100)
    expect(c.generationSync()).toBe(gen)
    expect(ns.ruleset()).toBe(before)
    // The pretended sets are forgotten: table __nftkit_warmup is unknown to the client and absent from the kernel.
    expect(() => c.transaction({ table: '__nftkit_warmup' }).add({ kind: 'element', set: 'interval', elements: ['10.0.0.9'] })).toThrow(/key type is known/)
    expect(ns.nft('list', 'tables')).not.toContain('__nftkit_warmup')
    // The real set, once listed, takes changes as usual.
    c.listSync({ table: 'w' })
    c.commitSync(c.transaction().add({ kind: 'element', set: 's', elements: ['10.0.0.7'] }))
    expect(c.listSync({ table: 'w' }).sets[0].elements).toEqual(['10.0.0.1', '10.0.0.7'])
    expect(ns.nft('list', 'set', 'inet', 'w', 's')).toContain('10.0.0.7')
    c.close()
  })

  it("a default client's background warm-up changes nothing either", async () => {
    const before = ns.ruleset()
    const c = createClient({ netns: ns.name, table: 'w' }) // warmUp: 'background' (the first test's explicit rounds left the process cold)
    const gen = c.generationSync()
    // Long enough for the 1500 rounds in slices (about 40-300 ms on this machine).
    await new Promise((r) => setTimeout(r, 1500))
    expect(c.generationSync()).toBe(gen)
    expect(ns.ruleset()).toBe(before)
    expect(ns.nft('list', 'tables')).not.toContain('__nftkit_warmup')
    c.listSync({ table: 'w' })
    c.commitSync(c.transaction().delete({ kind: 'element', set: 's', elements: ['10.0.0.7'] }))
    expect(ns.nft('list', 'set', 'inet', 'w', 's')).not.toContain('10.0.0.7')
    c.close()
  })
})
