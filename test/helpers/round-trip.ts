/** The round-trip check the nft-language unit tests share. */
import { expect, it } from 'vitest'
import { renderRuleBody } from '../../lib/expr/render.js'
import { parseRule } from '../../lib/nft/parser.js'

/** One test named after `text`: the rule reads, prints back as `text`, and reading that print gives the same rule. */
export function itRoundTrips(text: string): void {
  it(text, () => {
    const r = parseRule(text)
    expect(renderRuleBody(r)).toBe(text)
    expect(parseRule(renderRuleBody(r))).toEqual(r)
  })
}
