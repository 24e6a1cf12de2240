/**
 * Transactions: nft's verbs over typed objects. Every operation is validated
 * and compiled when it is added (so a mistake throws where the stack shows it);
 * the whole transaction reaches the kernel as one netlink batch on commit.
 * @module
 */
import type { InterfaceNames } from '../model/interfaces.js'
import { resolveIfaceKeys } from '../elements/iface-keys.js'
import { type Family, FAMILY_NUMBER, hookNumber, NFT_DATA_VERDICT, OBJECT_TYPE, SET_FLAG, TABLE_FLAG, VERDICT_CODE } from '../kernel/constants.js'
import { type Datatype, DATATYPES, type KeyTypeName, paddedSize } from '../kernel/datatypes.js'
import { concatData } from '../kernel/concat-data.js'
import { encodeElementFields } from '../elements/elements.js'
import { type Element, OBJECT_MAP_TYPE, type ObjectMapType, type SetShape } from '../model/element-types.js'
import { checkKeys, invalid, NftValidationError, readOptions } from '../kernel/errors.js'
import { compileRule, type SetInfo } from '../expr/compile.js'
import type { Chain, Counter, CtExpectation, CtHelper, Elements, Limit, NamedMap, NamedSet, NftObject, Quota, Rule, Ruleset, Synproxy, Table } from '../model/objects.js'
import type { Selector } from '../model/rule-types.js'
import { objectAttrs } from '../expr/stmt-stateful.js'
import { compileElementStmts, compileElementStmtsFor, compileSetStateful } from '../expr/set-stateful.js'
import { renderOperation } from '../expr/render.js'
import { setUserdata } from '../model/set-userdata.js'
import { integerKeyType, setTypeofUserdata, typeofKeyTypeId } from '../expr/typeof.js'
import { setKey } from '../model/names.js'
import { commentUserdata } from '../kernel/udata.js'
import { DATA_VALUE_MAX, exprsAttrSize, hookAttrSize, NETDEVICE_MAX, NETLINK_ATTR_MAX, QUOTE_MAX, RULE_MAXEXPRS, sizeText } from '../kernel/limits.js'
import {
  checkChainType,
  checkComment,
  checkedCopy,
  checkFamily,
  checkHandle,
  checkHook,
  checkName,
  checkUint,
  resolvePriority,
} from '../model/validate.js'
import type { NativeExpr, NativeOp } from '../../types/native.js'
import { type KnownSet, type Operation, type RuleRef, type SetRef, type SetResolver, type Verb, VERBS_BY_KIND } from '../model/operations.js'
import { elementOp, type PreparedBatch } from './prepared.js'
import { ctObjectOp } from './ct-objects.js'


/**
 * @internal Marks transaction options its owner already checked (the
 * client's defaults, checked when the client was made): the constructor takes
 * them as they are. Not exported from the package.
 */
export const CHECKED_OPTIONS: unique symbol = Symbol('nftkit.checkedOptions')

/** Options of a transaction. */
export interface TransactionOptions {
  /** Default family for objects that do not name one. Default `inet`. */
  readonly family?: Family
  /** Default table for objects that do not name one. */
  readonly table?: string
  /** Where to find the key types of sets not declared in this transaction. */
  readonly sets?: SetResolver
  /**
   * The interfaces of the network namespace the transaction is for: `meta iif
   * "lo"` compiles to `lo`'s index there, as nft does. A client's
   * transactions have them; without them interface names are refused (give
   * interface indexes as numbers).
   */
  readonly interfaces?: InterfaceNames
}

interface Entry {
  readonly op: Operation
  readonly native: NativeOp[]
}


/** The fields of each object kind (a kind's object type, or the reference used to delete it). */
type FieldsOf<K extends NftObject['kind']> = keyof Extract<NftObject, { kind: K }> | (K extends 'rule' ? keyof RuleRef : never)

/**
 * The fields each kind accepts, for the unknown-field check. Checked against
 * the object types both ways: a listed field the type lacks does not compile
 * (`satisfies`), and neither does a type field missing here (`KeysComplete`).
 */
const KEYS = {
  table: ['kind', 'family', 'name', 'flags', 'comment', 'handle'],
  chain: ['kind', 'family', 'table', 'name', 'type', 'hook', 'priority', 'policy', 'devices', 'comment', 'handle'],
  rule: ['kind', 'family', 'table', 'chain', 'exprs', 'comment', 'handle', 'position'],
  set: ['kind', 'family', 'table', 'name', 'type', 'typeof', 'flags', 'timeout', 'gcInterval', 'size', 'policy', 'counter', 'stmts', 'autoMerge', 'comment', 'elements', 'handle'],
  map: ['kind', 'family', 'table', 'name', 'type', 'typeof', 'map', 'mapTypeof', 'mapInterval', 'flags', 'timeout', 'gcInterval', 'size', 'policy', 'counter', 'stmts', 'autoMerge', 'comment', 'elements', 'handle'],
  element: ['kind', 'family', 'table', 'set', 'elements'],
  counter: ['kind', 'family', 'table', 'name', 'packets', 'bytes', 'comment', 'handle'],
  quota: ['kind', 'family', 'table', 'name', 'bytes', 'over', 'used', 'comment', 'handle'],
  limit: ['kind', 'family', 'table', 'name', 'rate', 'per', 'bytes', 'burst', 'over', 'comment', 'handle'],
  synproxy: ['kind', 'family', 'table', 'name', 'mss', 'wscale', 'timestamp', 'sackPerm', 'comment', 'handle'],
  'ct helper': ['kind', 'family', 'table', 'name', 'type', 'protocol', 'l3proto', 'comment', 'handle'],
  'ct expectation': ['kind', 'family', 'table', 'name', 'protocol', 'dport', 'timeout', 'size', 'l3proto', 'comment', 'handle'],
  ruleset: ['kind', 'family'],
} as const satisfies { readonly [K in NftObject['kind']]: readonly FieldsOf<K>[] }

/** `true` only if every field of every object type is in {@link KEYS}. */
type KeysComplete = { [K in NftObject['kind']]: Exclude<FieldsOf<K>, (typeof KEYS)[K][number]> }[NftObject['kind']] extends never ? true : false
const KEYS_COMPLETE: KeysComplete = true
void KEYS_COMPLETE

/** The entry of an element operation on a known set (its native op has one shape for every element op). */
function elementEntry(verb: Verb, family: Family, table: string, set: string, known: KnownSet, elements: readonly Element[], path: string): Entry {
  const el = encodeElementFields(known.shape, elements, path, { forDelete: verb === 'delete' || verb === 'destroy', stmts: compileElementStmts })
  return { op: { verb, object: { kind: 'element', family, table, set, elements } }, native: [elementOp(verb, family, table, set, known.id, el)] }
}

/**
 * Datatypes of a key type (one, or several for a concatenation). An
 * `integer` field (nft's type of `typeof vlan id`, `typeof ct bytes`) takes
 * its size and byte order from the `typeof` selector at its position.
 */
export function keyDatatypes(type: unknown, path: string, typeofSel?: Selector | readonly Selector[]): Datatype[] {
  const names = Array.isArray(type) ? type : [type]
  if (names.length === 0 || names.length > 16) invalid(path, 'Expected a key type or a list of 1-16 key types', type)
  const sels = typeofSel === undefined ? undefined : Array.isArray(typeofSel) ? typeofSel : [typeofSel]
  return names.map((n, i) => {
    const p = Array.isArray(type) ? `${path}[${i}]` : path
    if (n === 'integer') return integerKeyType(sels?.[i], p)
    if (typeof n !== 'string' || !Object.hasOwn(DATATYPES, n)) invalid(p, `Expected a key type: ${Object.keys(DATATYPES).join(', ')}`, n)
    return DATATYPES[n as KeyTypeName]
  })
}

/**
 * Refuses a device list netlink cannot carry (the hook attribute's 16-bit
 * length would wrap, and the kernel would read the rest of it as other chain
 * attributes) or the kernel refuses (EFBIG from NFT_NETDEVICE_MAX).
 */
function checkDevices(devices: readonly string[], path: string): void {
  const size = hookAttrSize(devices)
  if (size > NETLINK_ATTR_MAX)
    invalid(path, `Expected a device list that fits one netlink attribute: ${devices.length} devices need ${sizeText(size)} of netlink attributes, over the 64 KiB limit of one attribute (${NETLINK_ATTR_MAX} bytes)`, devices)
  if (devices.length > NETDEVICE_MAX)
    invalid(path, `Expected at most ${NETDEVICE_MAX} devices per hook (the kernel refuses more with EFBIG: NFT_NETDEVICE_MAX is ${NETDEVICE_MAX + 1})`, devices)
}

/** Most matches and statements one rule's expression list attribute could carry (16 bytes each at least). */
const EXPRS_GIVEN_MAX = Math.floor(NETLINK_ATTR_MAX / 16)

/**
 * Refuses a rule whose expression list netlink cannot carry (over 64 KiB: the
 * length would wrap) or the kernel refuses (more than NFT_RULE_MAXEXPRS).
 */
function checkRuleSize(exprs: readonly NativeExpr[], given: readonly unknown[], path: string): void {
  // The wire limit first, as for devices: it holds whatever the kernel version.
  const size = exprsAttrSize(exprs)
  if (size > NETLINK_ATTR_MAX)
    invalid(path, `Expected expressions that fit one netlink attribute: ${exprs.length} kernel expressions need up to ${sizeText(size)} of netlink attributes, over the 64 KiB limit of one attribute (${NETLINK_ATTR_MAX} bytes)`, given)
  if (exprs.length > RULE_MAXEXPRS)
    invalid(path, `Expected at most ${RULE_MAXEXPRS} kernel expressions per rule (the kernel's NFT_RULE_MAXEXPRS): these ${given.length} matches and statements compile to ${exprs.length}`, given)
}

/**
 * A list of operations committed atomically. Build one with
 * `client.transaction()` (defaults from the client) or `new Transaction()`.
 *
 * @example
 * const tx = nft.transaction()
 * tx.add({ kind: 'table' })
 * tx.add({ kind: 'chain', name: 'input', type: 'filter', hook: 'input', priority: 'filter', policy: 'drop' })
 * tx.add({ kind: 'rule', chain: 'input', exprs: [{ match: 'tcp dport', value: 22 }, { stmt: 'accept' }] })
 * await nft.commit(tx)
 */
export class Transaction {
  /** Default family. */
  readonly family: Family
  /** Default table. */
  readonly table?: string
  readonly #resolver?: SetResolver
  readonly #interfaces?: InterfaceNames
  readonly #entries: Entry[] = []
  /** Sets declared in this transaction (made on first use: most transactions declare none). */
  #localSets: Map<string, KnownSet> | undefined
  #touchesSets = false
  #nextSetId = 1

  constructor(options: TransactionOptions = {}) {
    if ((options as { [CHECKED_OPTIONS]?: boolean })[CHECKED_OPTIONS] === true) {
      // Defaults its owner checked once (the client's): nothing to read or check again.
      this.family = options.family as Family
      this.table = options.table
      this.#resolver = options.sets
      this.#interfaces = options.interfaces
      return
    }
    const opts = readOptions(options, ['family', 'table', 'sets', 'interfaces'], 'options') as TransactionOptions
    if (opts.interfaces !== undefined && (typeof opts.interfaces !== 'object' || typeof opts.interfaces?.index !== 'function'))
      invalid('options.interfaces', 'Expected interface names ({ index(name), name(index) })', opts.interfaces)
    this.#interfaces = opts.interfaces
    if (opts.sets !== undefined && typeof opts.sets !== 'function') invalid('options.sets', 'Expected a function (family, table, name) => set shape', opts.sets)
    this.family = opts.family === undefined ? 'inet' : checkFamily(opts.family, 'options.family')
    if (opts.table !== undefined) this.table = checkName(opts.table, 'options.table', 'table')
    this.#resolver = opts.sets
  }

  /** `add`: create if missing (rules are appended, or placed after `position`). */
  add(obj: NftObject): this {
    return this.#push('add', obj)
  }
  /** `create`: like add, but fails with EEXIST if the object exists. */
  create(obj: Table | Chain | NamedSet | NamedMap | Elements | Counter | Quota | Limit | Synproxy | CtHelper | CtExpectation): this {
    return this.#push('create', obj)
  }
  /** `insert`: a rule at the head of its chain, or before the rule `position`. */
  insert(rule: Rule): this {
    return this.#push('insert', rule)
  }
  /** `replace`: the rule with `handle` by this one, in place. */
  replace(rule: Rule & { handle: number }): this {
    return this.#push('replace', rule)
  }
  /** `delete`: fails with ENOENT if the object does not exist. */
  delete(obj: NftObject | RuleRef | SetRef): this {
    return this.#push('delete', obj)
  }
  /** `destroy`: delete if it exists (kernel >= 6.3). */
  destroy(obj: NftObject | RuleRef | SetRef): this {
    return this.#push('destroy', obj)
  }
  /** `flush`: empty a table or chain of rules, a set of elements, or the ruleset. */
  flush(obj: Table | Chain | NamedSet | NamedMap | SetRef | Ruleset): this {
    return this.#push('flush', obj)
  }

  /**
   * Adds an operation given as data (`{ verb, object }`), e.g. one produced by
   * the nft parser. Same checks as the verb methods.
   */
  apply(op: Operation): this {
    return this.#push(op.verb, op.object)
  }

  /** The operations added so far, with defaults filled in. */
  get operations(): readonly Operation[] {
    return this.#entries.map((e) => e.op)
  }

  /** Shapes of the sets and maps this transaction declares, keyed `family\0table\0name`. */
  declaredSets(): Array<[string, SetShape]> {
    return this.#localSets ? [...this.#localSets].map(([k, v]) => [k, v.shape]) : []
  }

  /**
   * True if an operation creates or deletes sets, maps, tables or the ruleset
   * (the client then updates the set shapes it remembers).
   */
  get touchesSets(): boolean {
    return this.#touchesSets
  }

  /** Number of operations. */
  get length(): number {
    return this.#entries.length
  }

  /** nft text of the transaction, one command per line (the debugging view). */
  toString(): string {
    return this.#entries.map((e) => renderOperation(e.op.verb, e.op.object)).join('\n')
  }

  /**
   * The native batch: every kernel operation, and for each the index of the
   * transaction operation it came from.
   * @deprecated Kept for callers of 0.1.0; use {@link Transaction.prepare}, which the client sends.
   */
  toNative(): { ops: NativeOp[]; owner: number[] } {
    const p = this.prepare()
    const owner = p.owner ? [...p.owner] : p.ops.map((_, i) => i)
    return { ops: [...p.ops], owner }
  }

  /**
   * The batch to commit: every operation, its kernel operations, and for each
   * kernel operation the index of the operation it came from (`owner`,
   * undefined when each operation is one kernel operation). A snapshot:
   * operations added later are not in it. `Client.commit(tx)` calls this.
   */
  prepare(): PreparedBatch {
    const operations: Operation[] = []
    const ops: NativeOp[] = []
    // Made only once an operation needs several kernel operations (a rule with
    // anonymous sets): until then operation i is kernel operation i.
    let owner: number[] | undefined
    const entries = this.#entries
    for (let i = 0; i < entries.length; i++) {
      operations.push(entries[i].op)
      const native = entries[i].native
      if (owner === undefined && native.length !== 1) {
        owner = []
        for (let k = 0; k < ops.length; k++) owner.push(k)
      }
      for (let j = 0; j < native.length; j++) {
        ops.push(native[j])
        if (owner !== undefined) owner.push(i)
      }
    }
    let declaredSets: Map<string, SetShape> | undefined
    if (this.#localSets) {
      declaredSets = new Map()
      for (const [k, v] of this.#localSets) declaredSets.set(k, v.shape)
    }
    return { operations, ops, owner, touchesSets: this.#touchesSets, declaredSets }
  }

  #push(verb: Verb, given: NftObject | RuleRef | SetRef): this {
    const path = `${verb}(${this.#entries.length})`
    if (typeof given !== 'object' || given === null) invalid(path, 'Expected an object with a kind', given)
    // Bounds, holes, cycles, Proxies and throwing getters first: the checks
    // below iterate lists and may recurse. They and the compiler read a copy
    // made by that first pass, so every field of the caller's object is read once.
    const obj = checkedCopy(given, path)
    const kind = (obj as { kind?: unknown }).kind
    if (typeof kind !== 'string' || !Object.hasOwn(VERBS_BY_KIND, kind))
      invalid(`${path}.kind`, `Expected a kind: ${Object.keys(VERBS_BY_KIND).join(', ')}`, kind)
    const k = kind as NftObject['kind']
    if (!VERBS_BY_KIND[k].includes(verb)) invalid(`${path}.kind`, `Expected a kind that supports ${verb} (${verb} applies to ${Object.keys(VERBS_BY_KIND).filter((x) => VERBS_BY_KIND[x as NftObject['kind']].includes(verb)).join(', ')})`, kind)
    checkKeys(obj, KEYS[k], path)
    let entry: Entry
    try {
      entry = this.#compile(verb, obj as NftObject, path)
    } catch (e) {
      if (e instanceof NftValidationError) throw e
      // A getter that throws on a second read, a value of a type no check
      // expected: a validation error with the operation's path, never a raw one.
      return invalid(path, `Expected plain data (checking it threw ${e instanceof Error ? `${e.name}: ${e.message.slice(0, QUOTE_MAX)}` : typeof e})`, undefined)
    }
    this.#entries.push(entry)
    if (k === 'set' || k === 'map' || k === 'table' || k === 'ruleset') this.#touchesSets = true
    return this
  }

  #familyOf(obj: { family?: unknown }, path: string): Family {
    return obj.family === undefined ? this.family : checkFamily(obj.family, `${path}.family`)
  }

  #tableOf(obj: { table?: unknown }, path: string): string {
    const t = obj.table ?? this.table
    if (t === undefined) invalid(`${path}.table`, 'Expected a table name (or a default table on the transaction/client)', t)
    return checkName(t, `${path}.table`, 'table')
  }

  #findSet(family: Family, table: string, name: string): KnownSet | undefined {
    return this.#localSets?.get(setKey(family, table, name)) ?? this.#resolver?.(family, table, name)
  }

  #compile(verb: Verb, obj: NftObject, path: string): Entry {
    switch (obj.kind) {
      case 'table':
        return this.#table(verb, obj, path)
      case 'chain':
        return this.#chain(verb, obj, path)
      case 'rule':
        return this.#rule(verb, obj, path)
      case 'set':
      case 'map':
        return this.#set(verb, obj, path)
      case 'element':
        return this.#elements(verb, obj, path)
      case 'counter':
        return this.#counter(verb, obj, path)
      case 'quota':
      case 'limit':
      case 'synproxy':
        return this.#stateful(verb, obj, path)
      case 'ct helper':
      case 'ct expectation': {
        const family = this.#familyOf(obj, path)
        const table = this.#tableOf(obj, path)
        const name = checkName(obj.name, `${path}.name`, obj.kind)
        const native = ctObjectOp(verb, obj, family, table, name, checkComment(obj.comment, `${path}.comment`), path)
        return { op: { verb, object: { ...obj, family, table } }, native: [native] }
      }
      case 'ruleset':
        return this.#ruleset(obj, path)
    }
  }

  #table(verb: Verb, t: Table, path: string): Entry {
    const family = this.#familyOf(t, path)
    const name = checkName(t.name ?? this.table, `${path}.name`, 'table')
    const comment = checkComment(t.comment, `${path}.comment`)
    let flags = 0
    if (t.flags !== undefined) {
      if (!Array.isArray(t.flags)) invalid(`${path}.flags`, `Expected a list of ${Object.keys(TABLE_FLAG).join(', ')}`, t.flags)
      t.flags.forEach((f, i) => {
        if (!Object.hasOwn(TABLE_FLAG, f)) invalid(`${path}.flags[${i}]`, `Expected one of ${Object.keys(TABLE_FLAG).join(', ')}`, f)
        flags |= TABLE_FLAG[f as keyof typeof TABLE_FLAG]
      })
    }
    const handle = t.handle !== undefined ? checkHandle(t.handle, `${path}.handle`) : undefined
    const object: Table = { ...t, family, name }
    const base = { family: FAMILY_NUMBER[family], name, ...(handle !== undefined && verb !== 'add' && verb !== 'create' ? { handle } : {}) }
    if (verb === 'flush') return { op: { verb, object }, native: [{ verb: 'flush', kind: 'table', ...base }] }
    const native: NativeOp =
      verb === 'add' || verb === 'create'
        ? { verb, kind: 'table', ...base, flags, ...(comment !== undefined ? { userdata: commentUserdata(comment) } : {}) }
        : { verb, kind: 'table', ...base }
    return { op: { verb, object }, native: [native] }
  }

  #chain(verb: Verb, c: Chain, path: string): Entry {
    const family = this.#familyOf(c, path)
    const table = this.#tableOf(c, path)
    const name = checkName(c.name, `${path}.name`, 'chain')
    const comment = checkComment(c.comment, `${path}.comment`)
    const object: Chain = { ...c, family, table }
    const base = { family: FAMILY_NUMBER[family], table, name }
    if (verb === 'flush' || verb === 'delete' || verb === 'destroy') {
      const handle = c.handle !== undefined && verb !== 'flush' ? { handle: checkHandle(c.handle, `${path}.handle`) } : {}
      return { op: { verb, object }, native: [{ verb, kind: 'chain', ...base, ...handle }] }
    }
    const native: Record<string, unknown> = { verb, kind: 'chain', ...base }
    const isBase = c.hook !== undefined || c.type !== undefined || c.priority !== undefined || c.policy !== undefined
    if (isBase) {
      if (c.hook === undefined) invalid(`${path}.hook`, 'Expected a hook for a base chain (type, priority and policy need one)', c.hook)
      const hook = checkHook(c.hook, family, `${path}.hook`)
      const type = checkChainType(c.type ?? 'filter', family, hook, `${path}.type`)
      if (c.priority === undefined) invalid(`${path}.priority`, 'Expected a priority for a base chain', c.priority)
      const priority = resolvePriority(c.priority, family, hook, `${path}.priority`)
      const needsDev = family === 'netdev' || hook === 'ingress' || hook === 'egress'
      if (needsDev && (!Array.isArray(c.devices) || c.devices.length === 0))
        invalid(`${path}.devices`, `Expected one or more devices for a ${family} ${hook} chain`, c.devices)
      if (!needsDev && c.devices !== undefined) invalid(`${path}.devices`, `Expected no devices: only ingress/egress chains bind to devices`, c.devices)
      c.devices?.forEach((d, i) => {
        if (typeof d !== 'string' || d.length === 0 || Buffer.byteLength(d) > 15) invalid(`${path}.devices[${i}]`, 'Expected an interface name of 1-15 bytes', d)
      })
      if (c.devices) checkDevices(c.devices, `${path}.devices`)
      if (c.policy !== undefined && c.policy !== 'accept' && c.policy !== 'drop') invalid(`${path}.policy`, "Expected 'accept' or 'drop'", c.policy)
      Object.assign(native, {
        hook: hookNumber(family, hook),
        priority,
        type,
        ...(c.policy !== undefined ? { policy: VERDICT_CODE[c.policy] } : {}),
        ...(c.devices ? { devices: [...c.devices] } : {}),
      })
    } else if (c.devices !== undefined) invalid(`${path}.devices`, 'Expected no devices on a regular chain', c.devices)
    if (comment !== undefined) native.userdata = commentUserdata(comment)
    return { op: { verb, object }, native: [native as unknown as NativeOp] }
  }

  #rule(verb: Verb, r: Rule | RuleRef, path: string): Entry {
    const family = this.#familyOf(r, path)
    const table = this.#tableOf(r, path)
    const chain = checkName(r.chain, `${path}.chain`, 'chain')
    const base = { family: FAMILY_NUMBER[family], table, chain }
    if (verb === 'delete' || verb === 'destroy') {
      const handle = checkHandle(r.handle, `${path}.handle`)
      return { op: { verb, object: { kind: 'rule', family, table, chain, handle } }, native: [{ verb, kind: 'rule', ...base, handle }] }
    }
    const rule = r as Rule
    const comment = checkComment(rule.comment, `${path}.comment`)
    if (verb === 'replace') checkHandle(rule.handle, `${path}.handle`)
    else if (rule.handle !== undefined) invalid(`${path}.handle`, `Expected no handle on ${verb} (use position to place the rule, or replace)`, rule.handle)
    if (rule.position !== undefined) {
      if (verb === 'replace') invalid(`${path}.position`, 'Expected no position on replace', rule.position)
      checkHandle(rule.position, `${path}.position`)
    }
    // Before compiling them: every match and statement compiles to at least
    // one kernel expression, and each takes at least 16 bytes of the list.
    if (Array.isArray(rule.exprs) && rule.exprs.length > EXPRS_GIVEN_MAX)
      invalid(`${path}.exprs`, `Expected expressions that fit one netlink attribute: ${rule.exprs.length} matches and statements need at least 16 bytes each, over the 64 KiB limit of one attribute (${NETLINK_ATTR_MAX} bytes)`, rule.exprs)
    const compiled = compileRule(rule.exprs, {
      family,
      table,
      findSet: (name) => {
        const s = this.#findSet(family, table, name)
        return s ? ({ name, id: s.id, key: s.shape.key, data: s.shape.data, interval: s.shape.interval, dynamic: s.dynamic, ...(s.shape.object ? { object: s.shape.object } : {}) } satisfies SetInfo) : undefined
      },
      nextSetId: () => this.#nextSetId++,
      ifindex: this.#interfaces ? (name) => this.#interfaces?.index(name) : undefined,
    }, `${path}.exprs`)
    checkRuleSize(compiled.exprs, rule.exprs, `${path}.exprs`)
    // One literal shape for every rule op (absent fields undefined): spreads
    // made V8 build hidden classes per rule.
    const native: NativeOp = {
      verb,
      kind: 'rule',
      family: base.family,
      table,
      chain,
      exprs: compiled.exprs,
      handle: verb === 'replace' ? rule.handle : undefined,
      position: rule.position,
      userdata: comment !== undefined ? commentUserdata(comment) : undefined,
    }
    const object: Rule = { kind: 'rule', family, table, chain: rule.chain, exprs: rule.exprs }
    if (rule.comment !== undefined) (object as { comment?: string }).comment = rule.comment
    if (rule.handle !== undefined) (object as { handle?: number }).handle = rule.handle
    if (rule.position !== undefined) (object as { position?: number }).position = rule.position
    return { op: { verb, object }, native: compiled.sets.length ? [...compiled.sets, native] : [native] }
  }

  #set(verb: Verb, s: NamedSet | NamedMap, path: string): Entry {
    const family = this.#familyOf(s, path)
    const table = this.#tableOf(s, path)
    const name = checkName(s.name, `${path}.name`, s.kind)
    const base = { family: FAMILY_NUMBER[family], table, name }
    const object = { ...s, family, table }
    if (verb === 'delete' || verb === 'destroy' || verb === 'flush') {
      const handle = s.handle !== undefined && verb !== 'flush' ? { handle: checkHandle(s.handle, `${path}.handle`) } : {}
      return { op: { verb, object }, native: [{ verb, kind: 'set', ...base, ...handle }] }
    }
    const key = keyDatatypes(s.type, `${path}.type`, s.typeof)
    const flagsIn = s.flags ?? []
    if (!Array.isArray(flagsIn)) invalid(`${path}.flags`, 'Expected a list of set flags', s.flags)
    let flags = 0
    const FLAGS = { interval: SET_FLAG.interval, timeout: SET_FLAG.timeout, constant: SET_FLAG.constant, dynamic: SET_FLAG.eval }
    flagsIn.forEach((f, i) => {
      if (!Object.hasOwn(FLAGS, f)) invalid(`${path}.flags[${i}]`, `Expected one of ${Object.keys(FLAGS).join(', ')}`, f)
      flags |= FLAGS[f as keyof typeof FLAGS]
    })
    const interval = (flags & SET_FLAG.interval) !== 0
    const keyLen = key.length > 1 ? key.reduce((a, t) => a + paddedSize(t.size), 0) : key[0].size
    if (keyLen > DATA_VALUE_MAX)
      invalid(`${path}.type`, `Expected a key of at most ${DATA_VALUE_MAX} bytes (the kernel's NFT_DATA_VALUE_MAXLEN), not ${keyLen} bytes`, s.type)
    if (interval) key.forEach((t, i) => {
      // Marks are stored big-endian in interval sets, concatenated ones too (as nft does).
      if (!t.ordered) invalid(Array.isArray(s.type) ? `${path}.type[${i}]` : `${path}.type`, `Expected a key type that supports ranges for an interval set (${t.name} does not)`, t.name)
    })
    let data: Datatype | 'verdict' | undefined
    const objMap = s.kind === 'map' && typeof s.map === 'string' && Object.hasOwn(OBJECT_MAP_TYPE, s.map) ? (s.map as ObjectMapType) : undefined
    if (s.kind === 'map' && s.mapInterval !== undefined && typeof s.mapInterval !== 'boolean') invalid(`${path}.mapInterval`, 'Expected a boolean', s.mapInterval)
    if (s.kind === 'map' && s.mapInterval && (objMap || s.map === 'verdict')) invalid(`${path}.mapInterval`, 'Expected interval data only for a map of values', s.mapInterval)
    if (objMap) flags |= SET_FLAG.object
    else if (s.kind === 'map') {
      if (Array.isArray(s.map) || s.mapInterval) {
        // A map to a concatenation (`: ipv4_addr . inet_service`) or to ranges (`: interval ...`).
        if (Array.isArray(s.map) && s.map.length < 2) invalid(`${path}.map`, 'Expected two or more value types for a map to a concatenation', s.map)
        data = concatData(keyDatatypes(s.map, `${path}.map`, s.mapTypeof), s.mapInterval === true, `${path}.map`)
      } else if (s.map === 'verdict') data = 'verdict'
      else if (typeof s.map === 'string' && Object.hasOwn(DATATYPES, s.map)) data = DATATYPES[s.map as KeyTypeName]
      else if (s.map === 'integer') data = integerKeyType(Array.isArray(s.mapTypeof) ? s.mapTypeof[0] : (s.mapTypeof as Selector | undefined), `${path}.map`)
      else invalid(`${path}.map`, `Expected a map value type: verdict, ${Object.keys(DATATYPES).join(', ')}`, s.map)
      flags |= SET_FLAG.map
      if (data !== 'verdict' && data.size > DATA_VALUE_MAX)
        invalid(`${path}.map`, `Expected map data of at most ${DATA_VALUE_MAX} bytes (the kernel's NFT_DATA_VALUE_MAXLEN), not ${data.size} bytes`, s.map)
    }
    if (key.length > 1 && interval) flags |= SET_FLAG.concat
    if (s.timeout !== undefined) {
      checkUint(s.timeout, `${path}.timeout`, Number.MAX_SAFE_INTEGER, 'a timeout in milliseconds')
      if (!(flags & SET_FLAG.timeout)) flags |= SET_FLAG.timeout
    }
    const comment = checkComment(s.comment, `${path}.comment`)
    if (s.size !== undefined) checkUint(s.size, `${path}.size`, 0xffffffff, 'a maximum number of elements')
    if (s.gcInterval !== undefined) checkUint(s.gcInterval, `${path}.gcInterval`, 0xffffffff, 'a GC interval in milliseconds')
    if (s.policy !== undefined && s.policy !== 'performance' && s.policy !== 'memory') invalid(`${path}.policy`, "Expected 'performance' or 'memory'", s.policy)
    const stateful = compileSetStateful(s, path)
    // Several statements travel as NFTA_SET_EXPRESSIONS, which the kernel takes with NFT_SET_EXPR only.
    if (stateful && stateful.length > 1) flags |= SET_FLAG.expr
    const id = this.#nextSetId++
    const shape: SetShape = { name, key, interval, data, timeout: (flags & SET_FLAG.timeout) !== 0, ...(objMap ? { object: objMap } : {}) }
    this.#localSets ??= new Map()
    this.#localSets.set(setKey(family, table, name), { shape, id, dynamic: (flags & SET_FLAG.eval) !== 0 })
    const native: NativeOp[] = [
      {
        verb,
        kind: 'set',
        ...base,
        setId: id,
        flags,
        keyType: typeofKeyTypeId(key, s.typeof),
        keyLen,
        ...(data === 'verdict' ? { dataType: NFT_DATA_VERDICT, dataLen: 16 } : data ? { dataType: data.id, dataLen: data.size } : {}),
        ...(objMap ? { objType: OBJECT_MAP_TYPE[objMap] } : {}),
        ...(key.length > 1 && interval ? { concat: key.map((t) => t.size) } : {}),
        ...(s.timeout !== undefined ? { timeout: s.timeout } : {}),
        ...(s.gcInterval !== undefined ? { gcInterval: s.gcInterval } : {}),
        ...(s.size !== undefined ? { size: s.size } : {}),
        ...(s.policy !== undefined ? { setPolicy: s.policy === 'memory' ? 1 : 0 } : {}),
        ...(stateful ? { exprs: stateful } : {}),
        userdata: setUserdata(key, data, comment, { autoMerge: s.autoMerge === true, ...setTypeofUserdata(s, key, data, path) }),
      },
    ]
    if (s.elements !== undefined && s.elements.length > 0) {
      if (!Array.isArray(s.elements)) invalid(`${path}.elements`, 'Expected a list of elements', s.elements)
      native.push({
        verb: 'add',
        kind: 'element',
        family: FAMILY_NUMBER[family],
        table,
        set: name,
        setId: id,
        ...encodeElementFields(shape, resolveIfaceKeys(key, s.elements, this.#ifindex(), `${path}.elements`), `${path}.elements`, { leadingZero: true, stmts: compileElementStmtsFor(stateful), ...(s.autoMerge ? { mergeAdjacent: true } : {}) }),
      })
    }
    return { op: { verb, object }, native }
  }

  #elements(verb: Verb, e: Elements, path: string): Entry {
    const family = this.#familyOf(e, path)
    const table = this.#tableOf(e, path)
    const set = checkName(e.set, `${path}.set`, 'set')
    if (!Array.isArray(e.elements) || e.elements.length === 0) invalid(`${path}.elements`, 'Expected a non-empty list of elements', e.elements)
    const known = this.#findSet(family, table, set)
    if (!known)
      invalid(`${path}.set`, `Expected a set whose key type is known: declare set ${set} in this transaction, or list() it through the client first`, set)
    const elements = resolveIfaceKeys(known.shape.key, e.elements, this.#ifindex(), `${path}.elements`)
    return elementEntry(verb, family, table, set, known, elements, `${path}.elements`)
  }

  /** Interface name to index in the transaction's namespace, if known. */
  #ifindex(): ((name: string) => number | undefined) | undefined {
    const ifs = this.#interfaces
    return ifs ? (name) => ifs.index(name) : undefined
  }

  #counter(verb: Verb, c: Counter, path: string): Entry {
    const family = this.#familyOf(c, path)
    const table = this.#tableOf(c, path)
    const name = checkName(c.name, `${path}.name`, 'counter')
    const comment = checkComment(c.comment, `${path}.comment`)
    const base = { family: FAMILY_NUMBER[family], table, name, objType: OBJECT_TYPE.counter }
    const object = { ...c, family, table }
    if (verb === 'delete' || verb === 'destroy') {
      const handle = c.handle !== undefined ? { handle: checkHandle(c.handle, `${path}.handle`) } : {}
      return { op: { verb, object }, native: [{ verb, kind: 'object', ...base, ...handle }] }
    }
    for (const k of ['packets', 'bytes'] as const)
      if (c[k] !== undefined) checkUint(c[k], `${path}.${k}`, Number.MAX_SAFE_INTEGER)
    return {
      op: { verb, object },
      native: [{ verb, kind: 'object', ...base, packets: c.packets ?? 0, bytes: c.bytes ?? 0, ...(comment !== undefined ? { userdata: commentUserdata(comment) } : {}) }],
    }
  }

  /** A named quota, limit or synproxy: its attributes are the ones its statement compiles to. */
  #stateful(verb: Verb, o: Quota | Limit | Synproxy, path: string): Entry {
    const family = this.#familyOf(o, path)
    const table = this.#tableOf(o, path)
    const name = checkName(o.name, `${path}.name`, o.kind)
    const comment = checkComment(o.comment, `${path}.comment`)
    const base = { family: FAMILY_NUMBER[family], table, name, objType: OBJECT_TYPE[o.kind] }
    const object = { ...o, family, table }
    if (verb === 'delete' || verb === 'destroy') {
      const handle = o.handle !== undefined ? { handle: checkHandle(o.handle, `${path}.handle`) } : {}
      return { op: { verb, object }, native: [{ verb, kind: 'object', ...base, ...handle }] }
    }
    return { op: { verb, object }, native: [{ verb, kind: 'object', ...base, ...objectAttrs(o, path), ...(comment !== undefined ? { userdata: commentUserdata(comment) } : {}) }] }
  }

  #ruleset(r: Ruleset, path: string): Entry {
    const family = r.family === undefined ? undefined : checkFamily(r.family, `${path}.family`)
    return { op: { verb: 'flush', object: { kind: 'ruleset', ...(family ? { family } : {}) } }, native: [{ verb: 'flush', kind: 'ruleset', family: family ? FAMILY_NUMBER[family] : 0 }] }
  }
}
