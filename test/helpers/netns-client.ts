/**
 * The setup most kernel test files share: a throwaway namespace and a client
 * in it, made before the tests of the enclosing file or describe block and
 * gone after them.
 */
import { afterAll, beforeAll } from 'vitest'
import { type Client, createClient } from '../../lib/index.js'
import { makeNetns, type Netns } from './netns.js'

/**
 * Registers the beforeAll that makes the namespace (named after `tag`), runs
 * `prepare` on it if given (links, devices), opens a client in it and hands
 * both to `ready`; and the afterAll that closes the client and removes the
 * namespace.
 */
export function netnsClient(tag: string, ready: (ns: Netns, nft: Client) => void, prepare?: (ns: Netns) => void): void {
  let ns: Netns | undefined
  let nft: Client | undefined
  beforeAll(() => {
    ns = makeNetns(tag)
    prepare?.(ns)
    nft = createClient({ netns: ns.name })
    ready(ns, nft)
  })
  afterAll(() => {
    nft?.close()
    ns?.remove()
  })
}
