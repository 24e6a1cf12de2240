/**
 * Renders a ruleset as `nft list ruleset` prints it: tables in order, each with
 * its comment and flags, counters, sets and maps, then chains with their rules.
 * @module
 */
import { priorityText } from '../kernel/constants.js'
import type { ListedChain, ListedSet, Listing } from '../io/listing.js'
import { objectBodyText } from '../expr/stmt-stateful.js'
import { synproxyObjectLines } from '../expr/synproxy-object.js'
import { ctObjectLines } from '../expr/ct.js'
import { setStatefulText } from '../expr/set-stateful.js'
import type { CtExpectation, CtHelper } from '../model/objects.js'
import type { Selector } from '../model/rule-types.js'
import { formatTime, quote, rawTypeofKey, renderElements, renderRuleBody, setTypeLine } from '../expr/render.js'
import { inObjectOrder, objectKey, type TableContents, tablesOf } from '../state/tables.js'


function setText(s: Omit<ListedSet, 'handle'> & { map?: string }): string[] {
  const lines = [setTypeLine(s)]
  if (s.policy === 'memory') lines.push('policy memory')
  if (s.size !== undefined) lines.push(`size ${s.size}`)
  // nft omits `flags timeout` when it is the only flag and a default timeout is set.
  const flags = s.flags ?? []
  if (flags.length && !(flags.length === 1 && flags[0] === 'timeout' && s.timeout !== undefined)) lines.push(`flags ${flags.join(',')}`)
  // nft's order: stateful statements, auto-merge, timeout, gc-interval.
  if (s.counter) lines.push('counter')
  if (s.stmts?.length) lines.push(setStatefulText(s.stmts))
  if (s.autoMerge) lines.push('auto-merge')
  if (s.timeout !== undefined) lines.push(`timeout ${formatTime(s.timeout)}`)
  if (s.gcInterval !== undefined) lines.push(`gc-interval ${formatTime(s.gcInterval)}`)
  if (s.comment !== undefined) lines.push(`comment ${quote(s.comment)}`)
  if (s.elements.length) lines.push(`elements = { ${renderElements(s.elements, rawTypeofKey(s) ?? s.type, s.kind === 'map' ? s.map : undefined, s as { typeof?: Selector; mapTypeof?: Selector })} }`)
  return lines
}

function chainHeader(c: Omit<ListedChain, 'handle'>): string | undefined {
  if (c.hook === undefined) return undefined
  const prio = typeof c.priority === 'number' && c.family ? priorityText(c.family, c.hook, c.priority) : String(c.priority)
  let dev = ''
  if (c.devices?.length === 1) dev = ` device ${quote(c.devices[0])}`
  // nft quotes a single device, not those of a list.
  else if (c.devices && c.devices.length > 1) dev = ` devices = { ${c.devices.join(', ')} }`
  return `type ${c.type ?? 'filter'} hook ${c.hook}${dev} priority ${prio}; policy ${c.policy ?? 'accept'};`
}

/** nft text of one table with its contents, as `nft list table` prints it. */
export function renderTable(t: TableContents): string {
  const out: string[] = [`table ${t.table.family} ${t.table.name} {`]
  const head: string[] = []
  if (t.table.flags?.length) head.push(`\tflags ${t.table.flags.join(',')}`)
  if (t.table.comment !== undefined) head.push(`\tcomment ${quote(t.table.comment)}`)
  // Named objects in their declaration (or kernel) order across kinds, as nft lists them.
  const objectBlocks: Array<{ key: string; lines: string[] }> = []
  for (const c of t.counters) {
    const body = [`\t\tpackets ${c.packets ?? 0} bytes ${c.bytes ?? 0}`]
    if (c.comment !== undefined) body.unshift(`\t\tcomment ${quote(c.comment)}`)
    objectBlocks.push({ key: objectKey({ kind: 'counter', name: c.name }), lines: [`\tcounter ${c.name} {`, ...body, '\t}'] })
  }
  for (const o of t.objects ?? []) {
    const body = (o.kind === 'synproxy' ? synproxyObjectLines(o) : [objectBodyText(o)]).map((l) => `\t\t${l}`)
    if (o.comment !== undefined) body.unshift(`\t\tcomment ${quote(o.comment)}`)
    objectBlocks.push({ key: objectKey(o), lines: [`\t${o.kind} ${o.name} {`, ...body, '\t}'] })
  }
  for (const o of t.ctObjects ?? [])
    objectBlocks.push({ key: objectKey(o), lines: [`\t${o.kind} ${o.name} {`, ...ctObjectLines(o as CtHelper | CtExpectation, quote).map((l) => `\t\t${l}`), '\t}'] })
  const blocks: string[][] = inObjectOrder(objectBlocks, t.objectOrder, (b) => b.key).map((b) => b.lines)
  for (const s of t.sets) blocks.push([`\t${s.kind} ${s.name} {`, ...setText(s as Omit<ListedSet, 'handle'> & { map?: string }).map((l) => `\t\t${l}`), '\t}'])
  for (const c of t.chains) {
    const lines = [`\tchain ${c.name} {`]
    if (c.comment !== undefined) lines.push(`\t\tcomment ${quote(c.comment)}`)
    const h = chainHeader(c)
    if (h) lines.push(`\t\t${h}`)
    for (const r of t.rules) if (r.chain === c.name) lines.push(`\t\t${renderRuleBody({ ...r, family: t.table.family }, { counters: true, listing: true }).replace(/\n/g, '\n\t\t')}`)
    lines.push('\t}')
    blocks.push(lines)
  }
  out.push(...head)
  // As nft: a blank line between objects, and after the flags line (not after a comment).
  blocks.forEach((b, i) => {
    if (i > 0 || t.table.flags?.length) out.push('')
    out.push(...b)
  })
  out.push('}')
  return out.join('\n')
}

/** nft text of a whole listing, as `nft list ruleset` prints it. */
export function renderRuleset(l: Listing | readonly TableContents[]): string {
  const tables = Array.isArray(l) ? (l as readonly TableContents[]) : tablesOf(l as Listing)
  return tables.map((t) => `${renderTable(t)}\n`).join('')
}
