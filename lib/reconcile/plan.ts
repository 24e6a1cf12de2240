/**
 * The planner: the operations that turn an observed listing into the declared
 * tables, as a pure function (no I/O, no clock). Its output is exactly
 * `Operation[]`, ready for `Transaction.apply`.
 *
 * Identity: tables by family and name, chains and sets by name, rules by name
 * (their comment). An unchanged rule keeps its handle and counters, a changed
 * one is replaced in place, new rules land at their declared position, rules
 * out of order are moved, set contents move as element deltas.
 * @module
 */
import type { InterfaceNames } from '../model/interfaces.js'
import { type Family, L4PROTO } from '../kernel/constants.js'
import { DATATYPES, type KeyTypeName } from '../kernel/datatypes.js'
import { concatData } from '../kernel/concat-data.js'
import { type Element, isAnonymousSetElement, isSpec, OBJECT_MAP_TYPE, type ObjectMapType, type SetShape } from '../model/element-types.js'
import type { Chain, Counter, CtExpectation, CtHelper, Elements, Limit, NamedMap, NamedSet, Quota, Synproxy, Table } from '../model/objects.js'
import type { Operation } from '../model/operations.js'
import { anonymousSetName } from '../model/names.js'
import type { BindingStmt, RuleExpr, Selector } from '../model/rule-types.js'
import { isBinding } from '../expr/stmt-binding.js'
import { referencesOf } from '../model/references.js'
import { CATCHALL, decodeElements, encodeElementFields, unpackElements } from '../elements/elements.js'
import { fastIPv4Decode } from '../elements/elements-fast.js'
import { hasIfaceKey, nameIfaceKeys, resolveIfaceKeys } from '../elements/iface-keys.js'
import { type AnonSet, decodeRule, decodeVerdict, jsValue, type RawExpr } from '../expr/decode.js'
import { compileRule } from '../expr/compile.js'
import { objectAttrs } from '../expr/stmt-stateful.js'
import { compileElementStmts, stmtsWithoutValues } from '../expr/set-stateful.js'
import type { SetStatefulStmt } from '../model/objects.js'
import { integerKeyType } from '../expr/typeof.js'
import { keyDatatypes } from '../batch/transaction.js'
import { anonDataMap, anonElementData, elementStmts, elementsOf, type ListedRule, type Listing, setShapeOf } from '../io/listing.js'
import { inObjectOrder, objectKey, type TableContents } from '../state/tables.js'
import type { NativeElementRecord, NativeExpr, NativeOp, NativeRecord } from '../../types/native.js'

/** The declared contents of one table (what `plan` and the reconcilers take). */
export type Desired = TableContents

/**
 * Rule expressions compared without anonymous counters' values and quotas'
 * bytes used (both change with traffic), those of anonymous sets' elements too.
 */
const strip = (exprs: ReadonlyArray<RuleExpr | RawExpr>): unknown =>
  exprs.map((e) => {
    if ('key' in e) return e
    if ('match' in e && typeof e.value === 'object' && e.value !== null) {
      const v = e.value as { elements?: readonly unknown[] }
      const list = Array.isArray(v) ? (v as readonly unknown[]) : Array.isArray(v.elements) ? v.elements : undefined
      if (list?.some(isAnonymousSetElement)) {
        const bare = list.map((x) => (isAnonymousSetElement(x) ? comparable(x as Element, []) : x))
        return { ...e, value: Array.isArray(v) ? bare : { elements: bare } }
      }
    }
    if ('stmt' in e && e.stmt === 'counter' && e.name === undefined) return { stmt: 'counter' }
    if ('stmt' in e && e.stmt === 'quota' && e.name === undefined) return { stmt: 'quota', bytes: e.bytes, over: e.over === true }
    // A chain binding compares as a whole: its rules, their counters stripped too.
    if ('stmt' in e && (e.stmt === 'jump' || e.stmt === 'goto') && 'rules' in e) return { stmt: e.stmt, rules: e.rules.map((r) => ({ exprs: strip(r.exprs), comment: r.comment })) }
    return e
  })

/** The chain a binding's verdict names while its rule is made canonical (no chain has this name). */
const BOUND = '\0bound'

/** A rule's expressions in the form the kernel gives back (compiled, then decoded). */
export function canonicalExprs(exprs: readonly RuleExpr[], family: Family, table: string, interfaces?: InterfaceNames): ReadonlyArray<RuleExpr | RawExpr> {
  let id = 1
  // Any named set will do: a lookup decodes the same whatever the set's flags.
  const ifindex = interfaces ? (name: string) => interfaces.index(name) : undefined
  const compiled = compileRule(exprs, { family, table, findSet: (name) => ({ name }), nextSetId: () => id++, ...(ifindex ? { ifindex } : {}) }, 'rule.exprs')
  // Object map lookups name their anonymous map as the listing does; a named object map's
  // objects are of the kind the statement names (in the kernel, the map's declaration says).
  const objectMaps = new Map<string, string>()
  compiled.exprs.forEach((e, i) => {
    if (e.type === 'objref' && e.setId !== undefined) compiled.exprs[i] = { ...e, set: anonymousSetName(false, Number(e.setId)) } as NativeExpr
  })
  for (const e of exprs) {
    if (!('stmt' in e) || !(e.stmt === 'counter' || e.stmt === 'quota' || e.stmt === 'limit' || e.stmt === 'synproxy') || !('key' in e)) continue
    const m = (e as { map?: unknown }).map
    if (typeof m === 'object' && m !== null && !Array.isArray(m)) objectMaps.set((m as { set: string }).set, e.stmt)
  }

  const anon = new Map<string, AnonSet>()
  for (const op of compiled.sets) {
    if (op.kind !== 'element') continue
    const setOp = compiled.sets.find((s) => s.kind === 'set' && s.setId === op.setId) as NativeOp
    const dataMap = anonDataMap(setOp as unknown as NativeRecord)
    if (dataMap) {
      anon.set(anonymousSetName(false, op.setId), dataMap((op.elements ?? []) as NativeElementRecord[]))
      continue
    }
    const shape = setShapeOf(setOp as unknown as NativeRecord)
    if (!shape) continue // unknown key type: the rule decodes as { raw }, as the listing would
    const key = shape.key
    const els = decodeElements(shape, (op.elements ?? []) as NativeElementRecord[])
    anon.set(anonymousSetName(false, op.setId), {
      elements: els.map((e) => ({
        key: e.catchall ? CATCHALL : e.fields.length === 1 ? jsValue(key[0], e.fields[0]) : e.fields.map((f, i) => jsValue(key[i], f)),
        ...(e.verdict !== undefined ? { verdict: decodeVerdict(e.verdict, e.chain) } : {}),
        ...(e.objref !== undefined ? { objref: e.objref } : {}),
        ...anonElementData(shape, e),
        ...elementStmts(e),
      })),
      ...(setOp.objType !== undefined ? { objType: Number(setOp.objType) } : {}),
    })
  }
  // A chain binding's verdict names its chain by id: decoded as a jump to a placeholder, then given its rules, each canonical.
  const renamed = compiled.exprs.map((e) =>
    e.type === 'lookup' && e.setId !== undefined
      ? ({ ...e, set: anonymousSetName(false, Number(e.setId)) } as NativeExpr)
      : e.type === 'immediate' && e.chainId !== undefined
        ? ({ type: 'immediate', dreg: e.dreg, verdict: e.verdict, chain: BOUND } as NativeExpr)
        : e,
  )
  // Meters: the sets the rule creates for them, named after the meter (not a bound chain's: they are its rules' own).
  const meters = new Map(compiled.sets.filter((s) => s.kind === 'set' && s.name !== undefined && !String(s.name).startsWith('__')).map((s) => [String(s.name), { size: Number(s.size) }]))
  const decoded = decodeRule(renamed, {
    family,
    anonSet: (n) => anon.get(n),
    meter: (n) => meters.get(n),
    namedSet: (n) => (objectMaps.has(n) ? { object: objectMaps.get(n) } : undefined),
    ...(interfaces ? { ifname: (i: number) => interfaces.name(i) } : {}),
  })
  const bindings = exprs.filter((e): e is BindingStmt => 'stmt' in e && isBinding(e))
  if (bindings.length === 0) return decoded
  let next = 0
  return decoded.map((e) => {
    if (!('stmt' in e) || (e.stmt !== 'jump' && e.stmt !== 'goto') || !('chain' in e) || e.chain !== BOUND) return e
    const b = bindings[next++]
    return { stmt: e.stmt, rules: b.rules.map((r) => ({ exprs: canonicalExprs(r.exprs, family, table, interfaces) as RuleExpr[], ...(r.comment !== undefined ? { comment: r.comment } : {}) })) }
  })
}

/**
 * Elements of a set in the form a listing shows them (canonical keys, merged
 * intervals), through the same encoder a commit uses, so plan and kernel agree.
 * @throws NftValidationError (path `set.elements[i]`) for an element the set does not accept.
 */
export function canonicalElements(set: Desired['sets'][number], shape: SetShape = declaredShape(set), interfaces?: InterfaceNames): Element[] {
  // Interface names (iface_index keys) compare as the listing shows them: resolved, then named back.
  if (interfaces && hasIfaceKey(shape.key)) {
    const resolved = resolveIfaceKeys(shape.key, set.elements ?? [], (n) => interfaces.index(n), 'set.elements')
    return nameIfaceKeys(shape.key, canonicalElements({ ...set, elements: resolved } as Desired['sets'][number], shape), (i) => interfaces.name(i))
  }
  const f = encodeElementFields(shape, set.elements ?? [], 'set.elements', { stmts: compileElementStmts })
  if (f.elements !== undefined) return elementsOf(shape, f.elements as NativeElementRecord[])
  const packedKeys = f.packedKeys as Uint8Array
  const packedFlags = f.packedFlags ?? new Uint8Array(packedKeys.length / (f.keyLen as number))
  // IPv4 keys (pod IPs): the number-only decoder, no bigint and no object per element.
  if (f.keyLen === 4 && shape.key.length === 1 && shape.key[0].name === 'ipv4_addr' && shape.data === undefined)
    return fastIPv4Decode(shape.interval, packedKeys, packedFlags)
  return elementsOf(shape, unpackElements({ elementKeys: packedKeys, elementKeyLen: f.keyLen as number, elementFlags: packedFlags }) as NativeElementRecord[])
}

/** The shape of a declared (or listed) set, as the encoder needs it. */
export function declaredShape(set: Desired['sets'][number] | Listing['sets'][number]): SetShape {
  const key = keyDatatypes(set.type, 'set.type', set.typeof)
  const flags = set.flags ?? []
  const map = (set as { map?: string | readonly string[] }).map
  const mapTypeof = (set as { mapTypeof?: Selector | readonly Selector[] }).mapTypeof
  // Object maps (`type ipv4_addr : quota`): values name objects.
  const object = set.kind === 'map' && typeof map === 'string' && Object.hasOwn(OBJECT_MAP_TYPE, map) ? (map as ObjectMapType) : undefined
  const mapInterval = (set as { mapInterval?: boolean }).mapInterval === true
  const data =
    set.kind !== 'map' || object
      ? undefined
      : Array.isArray(map) || mapInterval
        ? concatData(keyDatatypes(map, 'set.map', mapTypeof), mapInterval, 'set.map')
        : map === 'verdict'
          ? 'verdict'
          : map === 'integer'
            ? integerKeyType([mapTypeof].flat()[0] as Selector | undefined, 'set.map')
            : DATATYPES[map as KeyTypeName]
  return { name: set.name, key, interval: flags.includes('interval'), data, timeout: flags.includes('timeout') || set.timeout !== undefined, ...(object ? { object } : {}) }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

/** Longest increasing subsequence (indices into `xs`), to move as few rules as possible. */
function lis(xs: readonly number[]): Set<number> {
  const tails: number[] = []
  const prev: number[] = new Array(xs.length).fill(-1)
  for (let i = 0; i < xs.length; i++) {
    let lo = 0
    let hi = tails.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (xs[tails[mid]] < xs[i]) lo = mid + 1
      else hi = mid
    }
    if (lo > 0) prev[i] = tails[lo - 1]
    tails[lo] = i
  }
  const out = new Set<number>()
  let k = tails.length ? tails[tails.length - 1] : -1
  while (k >= 0) {
    out.add(k)
    k = prev[k]
  }
  return out
}

/**
 * Named quotas and limits: missing ones are added, undeclared ones deleted; a
 * changed one is deleted and added again (the kernel does not change a limit's
 * settings in place), and the rules that name it are deleted first and added
 * back after it (see `doomed` in {@link plan}). A quota's bytes used are no
 * setting: they change with traffic.
 */
function planObjects(
  desired: NonNullable<Desired['objects']>,
  observed: NonNullable<Listing['objects']>,
  family: Family,
  table: string,
  adds: Operation[],
  lateDels: Operation[],
): void {
  // Settings only: a quota's bytes used change with traffic.
  const settings = (o: Quota | Limit | Synproxy) => ({ kind: o.kind, ...objectAttrs(o, o.kind), consumed: undefined })
  for (const o of observed)
    if (!desired.some((x) => x.kind === o.kind && x.name === o.name)) lateDels.push({ verb: 'delete', object: { kind: o.kind, family, table, name: o.name } as Quota | Limit | Synproxy })
  for (const d of desired) {
    const o = observed.find((x) => x.kind === d.kind && x.name === d.name)
    if (o && same(settings(o), settings(d))) continue
    // The kernel updates an existing synproxy object in place on add (rules and maps keep naming it); quotas and limits are re-created.
    if (o && o.kind !== 'synproxy') lateDels.push({ verb: 'delete', object: { kind: o.kind, family, table, name: o.name } as Quota | Limit })
    adds.push({ verb: 'add', object: { ...d, family, table, handle: undefined } })
  }
}

/**
 * What of a ct helper or ct expectation the kernel keeps as its settings, in
 * one form for declared and listed objects: the network protocol the kernel
 * takes when none is given (the table's family), protocols by number.
 */
function ctSettings(c: CtHelper | CtExpectation, family: Family): Record<string, unknown> {
  const protocol = typeof c.protocol === 'string' && Object.hasOwn(L4PROTO, c.protocol) ? L4PROTO[c.protocol] : c.protocol
  return c.kind === 'ct helper'
    ? { kind: c.kind, type: c.type, protocol, l3proto: c.l3proto ?? family }
    : { kind: c.kind, protocol, dport: c.dport, timeout: c.timeout, size: c.size, l3proto: c.l3proto ?? family }
}

/**
 * Plans the operations that turn `observed` into `desired` for the declared
 * tables only. Pure: no I/O.
 */
export function plan(desired: readonly Desired[], observed: Listing): Operation[] {
  // Deletions first, each before what it may refer to: rules, then chain
  // flushes (rules of doomed chains), then elements and whole sets, maps and
  // counters (a verdict map's element may go to a doomed chain), then the
  // chains themselves (a doomed chain may be the jump target of another).
  const ruleDels: Operation[] = []
  const flushes: Operation[] = []
  const dels: Operation[] = []
  const chainDels: Operation[] = []
  const lateDels: Operation[] = []
  const adds: Operation[] = []
  for (const d of desired) {
    const family = d.table.family as Family
    const table = d.table.name
    const mine = <T extends { family?: Family; table?: string }>(xs: readonly T[]) => xs.filter((x) => x.family === family && x.table === table)
    const exists = observed.tables.some((t) => t.family === family && t.name === table)
    const oChains = mine(observed.chains)
    const oSets = mine(observed.sets)
    const oRules = mine(observed.rules) as ListedRule[]
    const oCounters = mine(observed.counters)
    const tableObject: Table = { ...d.table, handle: undefined }
    if (!exists) adds.push({ verb: 'add', object: tableObject })
    // Only the flags of an existing table can change: the kernel keeps the comment
    // it was created with (re-creating it would drop every rule and counter).
    else if (!same(d.table.flags ?? [], observed.tables.find((t) => t.family === family && t.name === table)?.flags ?? []))
      adds.push({ verb: 'add', object: tableObject })

    // Counters.
    for (const c of oCounters) if (!d.counters.some((x) => x.name === c.name)) lateDels.push({ verb: 'delete', object: { kind: 'counter', family, table, name: c.name } })
    // New named objects of every kind, added in declaration order (nft lists them so).
    const objectAdds: Operation[] = []
    for (const c of d.counters) {
      const object: Counter = { ...c, family, table }
      if (!oCounters.some((x) => x.name === c.name)) objectAdds.push({ verb: 'add', object })
    }
    planObjects(d.objects ?? [], mine(observed.objects ?? []), family, table, objectAdds, lateDels)

    // ct helper and ct expectation objects: added when missing, deleted when no
    // longer declared, deleted and added again when their settings changed (the
    // kernel keeps an existing one's settings on add); rules and object maps
    // naming a re-created one go first and come back after it (`doomed` below).
    const oCt = mine(observed.ctObjects ?? [])
    for (const c of oCt)
      if (!(d.ctObjects ?? []).some((x) => x.kind === c.kind && x.name === c.name))
        lateDels.push({ verb: 'delete', object: { kind: c.kind, family, table, name: c.name } as CtHelper | CtExpectation })
    for (const c of d.ctObjects ?? []) {
      const o = oCt.find((x) => x.kind === c.kind && x.name === c.name)
      if (o && same(ctSettings(o, family), ctSettings(c as CtHelper | CtExpectation, family))) continue
      if (o) lateDels.push({ verb: 'delete', object: { kind: o.kind, family, table, name: o.name } as CtHelper | CtExpectation })
      objectAdds.push({ verb: 'add', object: { ...c, family, table, handle: undefined } as CtHelper | CtExpectation })
    }
    adds.push(...inObjectOrder(objectAdds, d.objectOrder, (op) => objectKey(op.object as { kind: string; name: string })))

    // Chains: recreate when an immutable property changed.
    const recreate = new Set<string>()
    for (const oc of oChains) {
      const dc = d.chains.find((c) => c.name === oc.name)
      // Every flush before any chain delete (a doomed chain may jump to another
      // doomed chain), and element deletes too (a verdict map may go to one).
      if (!dc) {
        flushes.push({ verb: 'flush', object: { kind: 'chain', family, table, name: oc.name } })
        chainDels.push({ verb: 'delete', object: { kind: 'chain', family, table, name: oc.name } })
        continue
      }
      const base = (c: typeof dc) => ({ hook: c.hook, type: c.hook ? (c.type ?? 'filter') : undefined, priority: c.hook ? c.priority : undefined, devices: c.devices ?? [] })
      if (!same(base(dc), { ...base(oc as typeof dc), devices: oc.devices ?? [] })) {
        recreate.add(oc.name)
        flushes.push({ verb: 'flush', object: { kind: 'chain', family, table, name: oc.name } })
        chainDels.push({ verb: 'delete', object: { kind: 'chain', family, table, name: oc.name } })
      }
    }
    for (const dc of d.chains) {
      const oc = oChains.find((c) => c.name === dc.name)
      const policyChanged = oc && dc.hook && (dc.policy ?? 'accept') !== (oc.policy ?? 'accept')
      // As for tables, the kernel keeps an existing chain's comment: a changed
      // comment alone plans nothing (an add would be a no-op on every run).
      const object: Chain = { ...dc, family, table, handle: undefined }
      if (!oc || recreate.has(dc.name) || policyChanged) adds.push({ verb: 'add', object })
    }

    // Sets: element deltas; a changed declaration recreates the set.
    for (const os of oSets) {
      const ds = d.sets.find((s) => s.name === os.name)
      const decl = (s: typeof os | NonNullable<typeof ds>) => ({ kind: s.kind, type: s.type, map: (s as { map?: string }).map, mapInterval: (s as { mapInterval?: boolean }).mapInterval === true, flags: [...(s.flags ?? [])].sort(), timeout: s.timeout, size: s.size, counter: !!s.counter, stmts: s.stmts ?? [], comment: s.comment })
      // Before the objects and counters (with them in lateDels): an object map's elements hold the objects they name (EBUSY).
      if (!ds || !same(decl(ds), decl(os))) dels.push({ verb: 'delete', object: { kind: os.kind, family, table, name: os.name } })
    }
    // Objects this batch deletes or re-creates, as `KIND NAME`: object map elements naming them go first and come back after.
    const doomedObjects = new Set(
      lateDels.map((op) => op.object as { kind: string; family?: Family; table?: string; name?: string }).filter((o) => o.family === family && o.table === table).map((o) => `${o.kind} ${o.name}`),
    )
    for (const ds of d.sets) {
      const os = oSets.find((s) => s.name === ds.name)
      const decl = (s: typeof ds) => ({ kind: s.kind, type: s.type, map: (s as { map?: string }).map, mapInterval: (s as { mapInterval?: boolean }).mapInterval === true, flags: [...(s.flags ?? [])].sort(), timeout: s.timeout, size: s.size, counter: !!s.counter, stmts: s.stmts ?? [], comment: s.comment })
      if (!os || !same(decl(ds), decl(os as typeof ds))) {
        adds.push({ verb: 'add', object: setObject(ds, family, table) })
        continue
      }
      const want = canonicalElements(ds, undefined, observed.interfaces)
      const setStmts = declaredStmts(ds)
      const key = (e: Element) => comparable(e, setStmts)
      const have = new Map(os.elements.map((e) => [key(e), e]))
      const wantKeys = new Set(want.map(key))
      const map = (ds as { map?: string }).map
      const names = (e: Element) => map !== undefined && Object.hasOwn(OBJECT_MAP_TYPE, map) && doomedObjects.has(`${map} ${(e as { value?: unknown }).value}`)
      const gone = os.elements.filter((e) => !wantKeys.has(key(e)) || names(e))
      const fresh = want.filter((e) => !have.has(key(e)) || names(e))
      if (gone.length) flushes.push({ verb: 'delete', object: elementsObject(family, table, ds.name, gone.map(plain)) })
      if (fresh.length) adds.push({ verb: 'add', object: elementsObject(family, table, ds.name, fresh) })
    }

    // Rules, chain by chain. A kept rule that refers to a chain, set or counter
    // this batch deletes (or re-creates) goes first and comes back after it:
    // the kernel refuses to delete an object a rule still refers to (EBUSY).
    const doomed = new Set<string>()
    for (const oc of oChains) if (!d.chains.some((c) => c.name === oc.name) || recreate.has(oc.name)) doomed.add(`chain ${oc.name}`)
    for (const op of [...dels, ...lateDels]) {
      const o = op.object as { kind: string; family?: Family; table?: string; name?: string }
      if (o.family === family && o.table === table && o.name !== undefined) doomed.add(`${o.kind === 'map' ? 'set' : o.kind} ${o.name}`)
    }
    const stale = (r: ListedRule) => doomed.size > 0 && [...referencesOf(r.exprs)].some((x) => doomed.has(x))
    for (const dc of d.chains) {
      const want = d.rules.filter((r) => r.chain === dc.name)
      const fresh = !oChains.some((c) => c.name === dc.name) || recreate.has(dc.name)
      const have = fresh ? [] : oRules.filter((r) => r.chain === dc.name)
      planRules(family, table, dc.name, want, have, ruleDels, adds, stale, observed.interfaces)
    }
  }
  return [...ruleDels, ...flushes, ...dels, ...lateDels, ...chainDels, ...adds]
}

/** A declared set as the object of an add (family and table filled in, no handle). */
function setObject(ds: Desired['sets'][number], family: Family, table: string): NamedSet | NamedMap {
  // TableContents types its sets as Omit<ListedSet, 'handle'>, and Omit over
  // the set | map union keeps only their common keys (a map's `map` is lost
  // to the type, not to the value): the value is a NamedSet or a NamedMap.
  return { ...ds, family, table, handle: undefined } as NamedSet | NamedMap
}

/** Element operations' object (one literal shape). */
function elementsObject(family: Family, table: string, set: string, elements: readonly Element[]): Elements {
  return { kind: 'element', family, table, set, elements }
}

function planRules(
  family: Family,
  table: string,
  chain: string,
  want: Desired['rules'],
  have: readonly ListedRule[],
  dels: Operation[],
  adds: Operation[],
  stale: (r: ListedRule) => boolean,
  interfaces: InterfaceNames | undefined,
): void {
  const byName = new Map<string, ListedRule>()
  const dupes = new Set<string>()
  for (const r of have) {
    if (r.comment === undefined || byName.has(r.comment) || stale(r)) {
      if (r.comment !== undefined) dupes.add(r.comment)
      dels.push({ verb: 'delete', object: { kind: 'rule', family, table, chain, handle: r.handle } })
      continue
    }
    byName.set(r.comment, r)
  }
  const wanted = new Set(want.map((r) => r.comment))
  for (const [name, r] of byName) if (!wanted.has(name)) dels.push({ verb: 'delete', object: { kind: 'rule', family, table, chain, handle: r.handle } })
  // Kept rules must stay in declared order: keep the longest run already in order, move the rest.
  // A name declared twice identifies the first of them only; the second is a new rule.
  const used = new Set<ListedRule>()
  const matched = want.map((r) => {
    const m = r.comment !== undefined ? byName.get(r.comment) : undefined
    if (m === undefined || used.has(m)) return undefined
    used.add(m)
    return m
  })
  const positions = matched.map((m) => (m ? have.indexOf(m) : -1))
  const idx = positions.map((p, i) => ({ p, i })).filter((x) => x.p >= 0)
  const inOrder = lis(idx.map((x) => x.p))
  const keep = new Set(idx.filter((_, k) => inOrder.has(k)).map((x) => x.i))
  for (const x of idx) if (!keep.has(x.i)) dels.push({ verb: 'delete', object: { kind: 'rule', family, table, chain, handle: positions[x.i] >= 0 ? have[positions[x.i]].handle : 0 } })
  want.forEach((r, i) => {
    const o = matched[i]
    const body = { kind: 'rule' as const, family, table, chain, exprs: r.exprs as RuleExpr[], ...(r.comment !== undefined ? { comment: r.comment } : {}) }
    if (o && keep.has(i)) {
      if (!same(strip(o.exprs), strip(canonicalExprs(r.exprs as RuleExpr[], family, table, interfaces)))) adds.push({ verb: 'replace', object: { ...body, handle: o.handle } })
      return
    }
    // New (or moved): before the next kept rule, or appended after the last one.
    const next = want.findIndex((_, j) => j > i && keep.has(j))
    if (next >= 0) adds.push({ verb: 'insert', object: { ...body, position: (matched[next] as ListedRule).handle } })
    else adds.push({ verb: 'add', object: body })
  })
}


/**
 * An element as the reconciler compares it (both sides in the listing's
 * canonical form): with the statements the kernel holds for it (its own, or
 * copies of its set's when it has none) and without what traffic changes
 * (counter values, a quota's bytes used), so a counter that counted is no
 * change and a changed limit is one (the element is deleted and added again:
 * the kernel keeps an existing element's statements on a plain add).
 */
function comparable(e: Element, setStmts: readonly SetStatefulStmt[]): string {
  // `setStmts` come without live values already (declaredStmts): the common bare key costs one JSON.stringify.
  if (!isSpec(e)) return JSON.stringify(setStmts.length ? { key: e, stmts: setStmts } : e)
  const { counter, stmts, ...rest } = e
  const held = stmts ? stmtsWithoutValues(stmts) : counter ? COUNTER : setStmts
  if (held.length) return JSON.stringify({ ...rest, stmts: held })
  return JSON.stringify(Object.keys(rest).length === 1 ? rest.key : rest)
}

const COUNTER: readonly SetStatefulStmt[] = [{ stmt: 'counter' }]

/** The statements a set gives each element (`counter: true` is a counter), without live values. */
const declaredStmts = (s: { readonly counter?: boolean; readonly stmts?: readonly SetStatefulStmt[] }): readonly SetStatefulStmt[] =>
  s.stmts ? stmtsWithoutValues(s.stmts) : s.counter ? COUNTER : []

/**
 * True if two elements (canonical forms) of set `s` are the same to the
 * reconciler: same key, value and options, same statements without their
 * live values (see `comparable`).
 */
export function sameElement(a: Element, b: Element, s: { readonly counter?: boolean; readonly stmts?: readonly SetStatefulStmt[] }): boolean {
  const st = declaredStmts(s)
  return comparable(a, st) === comparable(b, st)
}

export const plain = (e: Element): Element => (typeof e === 'object' && e !== null && !Array.isArray(e) ? (e as { key: Element }).key : e)

/**
 * An element's key as a string, for indexes of elements: a string key is its
 * own (the common case, pod IPs: no JSON per element); any other key is its
 * JSON behind a NUL, which no string key starts with.
 */
export function keyOf(e: Element): string {
  const k = plain(e)
  return typeof k === 'string' && k.charCodeAt(0) !== 0 ? k : `\u0000${JSON.stringify(k)}`
}
