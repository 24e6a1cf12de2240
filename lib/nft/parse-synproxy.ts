/**
 * Parsing of named synproxy objects (`synproxy s { mss 1460; wscale 7; timestamp sack-perm; }`)
 * after their name, in nft's grammar (options accepted in any order, as newer nft does).
 * @module
 */
import type { Family } from '../kernel/constants.js'
import type { Synproxy } from '../model/objects.js'
import type { Cursor } from './parse-stateful.js'

/** A named synproxy after its name: a block `{ mss 1460; wscale 7; timestamp sack-perm; comment "x"; }` or the options alone. */
export function parseSynproxyObject(c: Cursor, family: Family, table: string, name: string): Synproxy {
  const o: { -readonly [K in keyof Synproxy]: Synproxy[K] } = { kind: 'synproxy', family, table, name }
  const block = c.accept('{')
  for (;;) {
    if (block) c.skipSeparators()
    const t = c.peek()
    if (block && c.accept('}')) break
    if (c.accept('mss')) o.mss = c.number('an MSS')
    else if (c.accept('wscale')) o.wscale = c.number('a window scale')
    else if (c.accept('timestamp')) o.timestamp = true
    else if (c.accept('sack-perm')) o.sackPerm = true
    else if (block && c.accept('comment')) o.comment = c.string('a comment')
    else if (!block) break
    else c.fail(t, `expected mss, wscale, timestamp, sack-perm or comment but found '${t.text}'`)
  }
  return o
}
