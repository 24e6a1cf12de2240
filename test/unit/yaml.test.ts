/**
 * The YAML reader: duplicate keys found in one pass (the yaml library's own
 * check is quadratic), with their lines; field paths located in the text.
 */
import { describe, expect, it } from 'vitest'
import { pathSegments, readDocuments, readYaml } from '../../lib/liqo/yaml.js'

describe('readYaml', () => {
  it('refuses duplicate keys with the path and both lines', () => {
    const [d] = readYaml('a: 1\nb:\n  c: 2\n  c: 3\n')
    expect(d.value).toBeUndefined()
    expect(d.problems).toEqual([{ path: 'document 0: b', message: "duplicate key 'c' (line 4; first at line 3)" }])
    const [e] = readYaml('- x: 1\n- {y: 1, y: 2}\n')
    expect(e.problems[0]).toMatchObject({ path: 'document 0: [1]', message: "duplicate key 'y' (line 2; first at line 2)" })
  })

  it('reads a mapping of 30 000 keys (a quadratic check would take minutes)', () => {
    const text = Array.from({ length: 30_000 }, (_, i) => `k${i}: ${i}`).join('\n')
    const [d] = readYaml(text)
    expect(d.problems).toEqual([])
    expect(Object.keys(d.value as object)).toHaveLength(30_000)
    const dup = `${text}\nk5: again\n`
    expect(readYaml(dup)[0].problems[0].message).toBe("duplicate key 'k5' (line 30001; first at line 6)")
  })

  it('locates field paths, or the closest enclosing field that exists', () => {
    const text = 'apiVersion: v1\nkind: List\nitems:\n  - metadata:\n      name: a\n    spec:\n      rules: [ {x: 1}, {y: "two"} ]\n'
    const { documents } = readDocuments(text, 'f.yaml')
    const locate = documents[0].locate
    expect(locate?.('items[0].metadata.name')).toEqual({ line: 5, col: 13 })
    expect(locate?.('items[0].spec.rules[1].y')).toEqual({ line: 7, col: 28 })
    expect(locate?.('items[0].spec.missing.deeper')).toEqual({ line: 7, col: 7 })
    expect(locate?.('')).toEqual({ line: 1, col: 1 })
  })

  it('splits field paths', () => {
    expect(pathSegments('spec.table.chains[10].rules["a b"].x-y')).toEqual(['spec', 'table', 'chains', 10, 'rules', 'a b', 'x-y'])
    expect(pathSegments('[3].a')).toEqual([3, 'a'])
  })
})
