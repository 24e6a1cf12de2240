/**
 * close() frees what a client holds outside the JS heap (its 1 MiB receive
 * buffer) at once, not when a garbage collection finds the wrapper: thousands
 * of open/close cycles keep the resident size flat.
 */
import { describe, expect, it } from 'vitest'
import { createClient } from '../../lib/index.js'

describe('close() releases native memory', () => {
  it('3000 open/close cycles grow RSS by far less than the 3 GiB their buffers would hold', () => {
    const warm = createClient()
    warm.listSync()
    warm.close()
    const before = process.memoryUsage().rss
    for (let i = 0; i < 3000; i++) {
      const c = createClient()
      c.generationSync()
      c.close()
    }
    const grown = (process.memoryUsage().rss - before) / 2 ** 20
    console.log(`3000 open/close cycles: RSS +${grown.toFixed(1)} MiB`)
    expect(grown).toBeLessThan(300)
    // A closed client answers EBADF, as before.
    const c = createClient()
    c.close()
    expect(() => c.listSync()).toThrow(/EBADF|closed/)
  })
})
