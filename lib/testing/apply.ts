/**
 * One batch applied to the Fake's state the way nf_tables applies it: every
 * operation in order against the state the earlier ones left (a chain added
 * first can be jumped to next), every refusal reported with its operation's
 * index (the kernel keeps going after an error to report them all), and
 * nothing kept unless all of it passed.
 * @module
 */
import type { NativeElement, NativeObjectEvent, NativeOp, NativeOpError } from '../../types/native.js'
import { copyElements, insertElement, removeElement } from './elements.js'
import { ERRNO, MSG_BATCH_BEGIN, messageType, Refusal, refuse } from './errno.js'
import { jumpsTo, type Resolver, setsUsed, storeExprs, usesObject, verdictTarget } from './exprs.js'
import { CHAIN_BINDING, DATA_VERDICT, type FakeChain, type FakeElement, type FakeSet, type FakeState, type FakeTable, findTable, INTERVAL_END, SET } from './model.js'

/**
 * One object notification of a committed batch: the monitor's
 * NativeObjectEvent without the port (the kernel adds it per socket), with a
 * plain-number handle and no flowtables (the Fake has none).
 */
export type FakeChange = Omit<NativeObjectEvent, 'portId' | 'handle' | 'type'> & {
  readonly type: Exclude<NativeObjectEvent['type'], 'flowtable'>
  readonly handle?: number
}

/** What a batch did: the state to keep, or the refusals. */
export interface BatchOutcome {
  /** The new state when the batch passed; the old one (handle counters moved on, as the kernel's do) when not. */
  readonly state: FakeState
  readonly errors: NativeOpError[]
  /** [operation index, handle] of every created object whose operation asked for an echo. */
  readonly handles: Array<[number, number]>
  /** Notifications in kernel order (empty when the batch failed). */
  readonly changes: FakeChange[]
}

/** NFPROTO numbers nf_tables accepts. */
const FAMILIES = new Set([1, 2, 3, 5, 7, 10])
/** Hooks per family (NF_INET_*, NF_ARP_*, NF_NETDEV_*). */
const HOOKS: Record<number, readonly number[]> = { 1: [0, 1, 2, 3, 4, 5], 2: [0, 1, 2, 3, 4], 10: [0, 1, 2, 3, 4], 7: [0, 1, 2, 3, 4], 3: [0, 1], 5: [0, 1] }
/** Chain types per family and the hooks each allows (nf_tables chain type hook masks). */
const CHAIN_TYPES: Record<string, Record<number, readonly number[]>> = {
  filter: HOOKS,
  nat: { 1: [0, 1, 3, 4], 2: [0, 1, 3, 4], 10: [0, 1, 3, 4] },
  route: { 1: [3], 2: [3], 10: [3] },
}
const TABLE_DORMANT = 1
const NFT_CHAIN_BASE = 1
const OBJECT_SYNPROXY = 10
const OBJECT_COUNTER = 1
const OBJECT_CT_HELPER = 3
const OBJECT_CT_EXPECT = 9
/** The kernel names bound chains `__chain%llu` from one counter for every namespace (nf_tables_addchain). */
let boundChainSeq = 0

/** The working copy a batch changes, with what it learnt on the way. */
class Batch {
  readonly changes: FakeChange[] = []
  readonly handles: Array<[number, number]> = []
  /** Sets created by this batch, by table and batch id (NFTA_SET_ID). */
  readonly #ids = new Map<string, FakeSet>()
  /** Chain bindings created by this batch, by table and batch id (NFTA_CHAIN_ID). */
  readonly #chainIds = new Map<string, FakeChain>()
  /** Chain bindings of this batch no rule has bound yet (every older one is bound). */
  readonly #unbound = new Set<FakeChain>()
  readonly s: FakeState

  constructor(s: FakeState) {
    this.s = s
  }

  apply(o: NativeOp, index: number): void {
    if (o.kind === 'ruleset') {
      for (const t of [...this.s.tables]) if (o.family === 0 || t.family === o.family) this.#dropTable(t)
    } else if (o.kind === 'table') this.#table(o, index)
    else if (o.kind === 'chain') this.#chain(o, index)
    else if (o.kind === 'rule') this.#rule(o, index)
    else if (o.kind === 'set') this.#set(o, index)
    else if (o.kind === 'element') this.#elements(o)
    else if (o.kind === 'object') this.#object(o, index)
  }

  #echo(o: NativeOp, index: number, handle: number): void {
    if (o.echo) this.handles.push([index, handle])
  }

  /** The table an operation works in; undefined (nothing to do) for a destroy of a missing one. */
  #tableOf(o: NativeOp): FakeTable | undefined {
    const t = findTable(this.s, o.family, o.table)
    if (!t && o.verb !== 'destroy') refuse('ENOENT', `table ${o.table} not found`)
    return t
  }

  /** How expressions find sets and chains; with `chain` (a rule's), jumps may bind chain bindings. */
  #resolver(t: FakeTable, chain?: FakeChain): Resolver {
    return {
      table: t,
      set: (name, id) => t.sets.find((s) => s.name === name) ?? (id !== undefined ? this.#ids.get(`${t.handle}/${id}`) : undefined),
      chain: (id) => this.#chainIds.get(`${t.handle}/${id}`),
      ...(chain
        ? {
            bind: (target: FakeChain) => {
              if (chain.flags & CHAIN_BINDING) refuse('EOPNOTSUPP', 'a bound chain cannot bind another chain')
              if (!this.#unbound.has(target)) refuse('EBUSY', `chain ${target.name} is already bound`)
              this.#unbound.delete(target)
            },
          }
        : {}),
    }
  }

  /** A chain binding the kernel names (NEWCHAIN with NFT_CHAIN_BINDING and a chain id, no name). */
  #bindingChain(t: FakeTable, o: NativeOp, index: number): void {
    if (o.name !== undefined || !((o.flags ?? 0) & CHAIN_BINDING) || o.hook !== undefined)
      refuse('EOPNOTSUPP', 'the Fake models chain bindings only as nft creates them (no name, no hook)')
    const chain: FakeChain = { name: `__chain${++boundChainSeq}`, handle: ++t.lastHandle, flags: CHAIN_BINDING, userdata: o.userdata, rules: [] }
    t.chains.push(chain)
    this.#chainIds.set(`${t.handle}/${o.chainId}`, chain)
    this.#unbound.add(chain)
    this.#change({ type: 'chain', op: 'new', family: t.family, table: t.name, name: chain.name, handle: chain.handle })
    this.#echo(o, index, chain.handle)
  }

  /** Destroys the chain bindings a deleted rule had bound, with their rules. */
  #releaseBound(t: FakeTable, exprs: readonly { type: string; chain?: unknown }[]): void {
    for (const e of exprs) {
      if (e.type !== 'immediate' || typeof e.chain !== 'string') continue
      const c = t.chains.find((x) => x.name === e.chain && x.flags & CHAIN_BINDING)
      if (!c) continue
      this.#flushChain(t, c)
      t.chains.splice(t.chains.indexOf(c), 1)
      this.#change({ type: 'chain', op: 'del', family: t.family, table: t.name, name: c.name, handle: c.handle })
    }
  }

  #table(o: NativeOp, index: number): void {
    if (o.verb === 'flush') {
      const t = this.#tableOf({ ...o, table: o.name })
      // Chain bindings go with the rules that bound them (the kernel skips them here).
      for (const c of [...(t?.chains ?? [])]) if (!(c.flags & CHAIN_BINDING)) this.#flushChain(t as FakeTable, c)
      return
    }
    if (o.verb === 'delete' || o.verb === 'destroy') {
      const t = o.name !== undefined ? findTable(this.s, o.family, o.name) : this.s.tables.find((x) => x.family === o.family && x.handle === Number(o.handle))
      if (!t) {
        if (o.verb === 'destroy') return
        refuse('ENOENT', 'table not found')
      }
      this.#dropTable(t)
      return
    }
    if (!FAMILIES.has(o.family)) refuse('EAFNOSUPPORT', `family ${o.family} not supported`)
    const name = String(o.name)
    const flags = o.flags ?? 0
    const t = findTable(this.s, o.family, name)
    if (t) {
      if (o.verb === 'create') refuse('EEXIST', `table ${name} exists`)
      if (flags === t.flags) return
      if ((flags ^ t.flags) & ~TABLE_DORMANT) refuse('EOPNOTSUPP', 'table flags cannot change')
      t.flags = flags
      this.#change({ type: 'table', op: 'new', family: t.family, table: name, name, handle: t.handle })
      this.#echo(o, index, t.handle)
      return
    }
    const handle = ++this.s.lastTableHandle
    this.s.tables.push({ family: o.family, name, handle, flags, userdata: o.userdata, lastHandle: 0, chains: [], sets: [], objects: [] })
    this.#change({ type: 'table', op: 'new', family: o.family, table: name, name, handle })
    this.#echo(o, index, handle)
  }

  /** Deletes a table and its contents, notified as the kernel does: rules, sets, objects, chains, then the table. */
  #dropTable(t: FakeTable): void {
    for (const c of t.chains) this.#flushChain(t, c)
    for (const s of t.sets) if (!(s.flags & SET.anonymous)) this.#change({ type: 'set', op: 'del', family: t.family, table: t.name, name: s.name, handle: s.handle })
    for (const x of t.objects) this.#change({ type: 'object', op: 'del', family: t.family, table: t.name, name: x.name, handle: x.handle, objType: x.objType })
    for (const c of t.chains) this.#change({ type: 'chain', op: 'del', family: t.family, table: t.name, name: c.name, handle: c.handle })
    this.#change({ type: 'table', op: 'del', family: t.family, table: t.name, name: t.name, handle: t.handle })
    this.s.tables.splice(this.s.tables.indexOf(t), 1)
  }

  #chain(o: NativeOp, index: number): void {
    const t = this.#tableOf(o)
    if (!t) return
    if (o.chainId !== undefined && (o.verb === 'add' || o.verb === 'create')) {
      this.#bindingChain(t, o, index)
      return
    }
    const c = o.name !== undefined ? t.chains.find((x) => x.name === o.name) : t.chains.find((x) => x.handle === Number(o.handle))
    if (o.verb === 'flush') {
      if (!c) refuse('ENOENT', `chain ${o.name} not found`)
      this.#flushChain(t, c)
      return
    }
    if (o.verb === 'delete' || o.verb === 'destroy') {
      if (!c) {
        if (o.verb === 'destroy') return
        refuse('ENOENT', `chain ${o.name} not found`)
      }
      // A chain binding goes with its rule only.
      if (c.flags & CHAIN_BINDING) refuse('EOPNOTSUPP', `chain ${c.name} is a chain binding`)
      // The kernel deletes the chain's own rules, then refuses if anything else still jumps to it.
      this.#flushChain(t, c)
      if (this.#chainReferenced(t, c)) refuse('EBUSY', `chain ${c.name} is still a jump target`)
      t.chains.splice(t.chains.indexOf(c), 1)
      this.#change({ type: 'chain', op: 'del', family: t.family, table: t.name, name: c.name, handle: c.handle })
      return
    }
    if (o.policy !== undefined && o.policy !== 0 && o.policy !== 1) refuse('EINVAL', 'policy must be accept or drop')
    if (c) {
      if (o.verb === 'create') refuse('EEXIST', `chain ${c.name} exists`)
      if (o.hook !== undefined) {
        if (c.hook === undefined || c.type !== o.type) refuse('EEXIST', `chain ${c.name} exists with another type`)
        if (c.hook !== o.hook || c.priority !== (o.priority ?? 0)) refuse('EOPNOTSUPP', `chain ${c.name} exists with another hook or priority`)
      }
      if (o.policy !== undefined) {
        if (c.hook === undefined) refuse('EOPNOTSUPP', 'a regular chain has no policy')
        c.policy = o.policy
      }
      // An existing chain is updated (a transaction even if nothing differs).
      this.#change({ type: 'chain', op: 'new', family: t.family, table: t.name, name: c.name, handle: c.handle })
      this.#echo(o, index, c.handle)
      return
    }
    const name = String(o.name)
    if (o.hook === undefined && o.policy !== undefined) refuse('EOPNOTSUPP', 'a regular chain has no policy')
    if (o.hook !== undefined) {
      const types = CHAIN_TYPES[o.type ?? 'filter']?.[t.family]
      if (!types) refuse('ENOENT', `chain type ${o.type} not found for this family`)
      if (!types.includes(o.hook)) refuse('EOPNOTSUPP', `hook ${o.hook} not supported by chain type ${o.type}`)
    }
    const handle = ++t.lastHandle
    const chain: FakeChain = { name, handle, flags: o.hook !== undefined ? NFT_CHAIN_BASE : 0, userdata: o.userdata, rules: [] }
    if (o.hook !== undefined) Object.assign(chain, { hook: o.hook, priority: o.priority ?? 0, type: o.type ?? 'filter', policy: o.policy ?? 1, devices: o.devices?.length ? [...o.devices] : undefined })
    t.chains.push(chain)
    this.#change({ type: 'chain', op: 'new', family: t.family, table: t.name, name, handle })
    this.#echo(o, index, handle)
  }

  /** True if a rule of another chain or a verdict map element jumps to `c`. */
  #chainReferenced(t: FakeTable, c: FakeChain): boolean {
    return t.chains.some((x) => x !== c && x.rules.some((r) => jumpsTo(r.exprs, c.name))) || t.sets.some((s) => s.elements.some((e) => e.chain === c.name))
  }

  #flushChain(t: FakeTable, c: FakeChain): void {
    while (c.rules.length) this.#dropRule(t, c, 0)
  }

  /** Deletes a rule; an anonymous set no other rule uses goes with it. */
  #dropRule(t: FakeTable, c: FakeChain, i: number): void {
    const [r] = c.rules.splice(i, 1)
    this.#change({ type: 'rule', op: 'del', family: t.family, table: t.name, chain: c.name, handle: r.handle })
    this.#releaseAnonymous(t, setsUsed(r.exprs))
    this.#releaseBound(t, r.exprs)
  }

  #releaseAnonymous(t: FakeTable, names: readonly string[]): void {
    for (const name of names) {
      const s = t.sets.find((x) => x.name === name)
      if (s && s.flags & SET.anonymous && !this.#setReferenced(t, s)) t.sets.splice(t.sets.indexOf(s), 1)
    }
  }

  #rule(o: NativeOp, index: number): void {
    const t = this.#tableOf(o)
    if (!t) return
    const c = o.chainId !== undefined ? this.#chainIds.get(`${t.handle}/${o.chainId}`) : t.chains.find((x) => x.name === o.chain)
    if (!c) {
      if (o.verb === 'destroy') return
      refuse('ENOENT', `chain ${o.chain ?? `id ${o.chainId}`} not found`)
    }
    // A bound chain's rules change only with the rule that binds it.
    if (c.flags & CHAIN_BINDING && !this.#unbound.has(c)) refuse('EOPNOTSUPP', `chain ${c.name} is bound`)
    const find = (h: number | bigint | undefined) => c.rules.findIndex((r) => r.handle === Number(h))
    if (o.verb === 'delete' || o.verb === 'destroy') {
      const i = find(o.handle)
      if (i < 0) {
        if (o.verb === 'destroy') return
        refuse('ENOENT', `rule handle ${o.handle} not found`)
      }
      this.#dropRule(t, c, i)
      return
    }
    let handle: number
    let at: number
    if (o.verb === 'replace') {
      at = find(o.handle)
      if (at < 0) refuse('ENOENT', `rule handle ${o.handle} not found`)
      handle = Number(o.handle)
    } else {
      handle = ++t.lastHandle
      if (o.position !== undefined) {
        const p = find(o.position)
        if (p < 0) refuse('ENOENT', `rule handle ${o.position} not found`)
        at = o.verb === 'insert' ? p : p + 1
      } else at = o.verb === 'insert' ? 0 : c.rules.length
    }
    const rule = { handle, exprs: storeExprs(this.#resolver(t, c), o.exprs ?? []), userdata: o.userdata }
    this.#change({ type: 'rule', op: 'new', family: t.family, table: t.name, chain: c.name, handle })
    if (o.verb === 'replace') {
      const [old] = c.rules.splice(at, 1, rule)
      this.#change({ type: 'rule', op: 'del', family: t.family, table: t.name, chain: c.name, handle: old.handle })
      this.#releaseAnonymous(t, setsUsed(old.exprs))
      this.#releaseBound(t, old.exprs)
    } else c.rules.splice(at, 0, rule)
    this.#echo(o, index, handle)
  }

  #setReferenced(t: FakeTable, s: FakeSet): boolean {
    return t.chains.some((c) => c.rules.some((r) => setsUsed(r.exprs).includes(s.name)))
  }

  #set(o: NativeOp, index: number): void {
    const t = this.#tableOf(o)
    if (!t) return
    const s = o.name !== undefined ? t.sets.find((x) => x.name === o.name) : t.sets.find((x) => x.handle === Number(o.handle))
    if (o.verb === 'flush') {
      if (!s) refuse('ENOENT', `set ${o.name} not found`)
      this.#removeElements(t, s, s.elements.length)
      s.elements = []
      return
    }
    if (o.verb === 'delete' || o.verb === 'destroy') {
      if (!s) {
        if (o.verb === 'destroy') return
        refuse('ENOENT', `set ${o.name} not found`)
      }
      if (s.flags & SET.anonymous || this.#setReferenced(t, s)) refuse('EBUSY', `set ${s.name} is still referenced`)
      t.sets.splice(t.sets.indexOf(s), 1)
      this.#change({ type: 'set', op: 'del', family: t.family, table: t.name, name: s.name, handle: s.handle })
      return
    }
    const flags = o.flags ?? 0
    if (s) {
      if (o.verb === 'create') refuse('EEXIST', `set ${s.name} exists`)
      if (s.flags !== flags || s.keyType !== o.keyType || s.keyLen !== o.keyLen || s.dataType !== o.dataType || s.dataLen !== o.dataLen || s.objType !== o.objType)
        refuse('EEXIST', `set ${s.name} exists with another type`)
      // The kernel updates it (a transaction, even if nothing differs).
      this.#change({ type: 'set', op: 'new', family: t.family, table: t.name, name: s.name, handle: s.handle })
      this.#echo(o, index, s.handle)
      return
    }
    if (!(flags & SET.map) !== (o.dataType === undefined) || !o.keyLen || o.keyLen > 64) refuse('EINVAL', 'invalid set key or data')
    const name = anonymousName(t, String(o.name))
    const handle = ++t.lastHandle
    const set: FakeSet = {
      name,
      handle,
      flags,
      keyType: o.keyType ?? 0,
      keyLen: o.keyLen,
      dataType: o.dataType,
      dataLen: o.dataLen,
      objType: o.objType,
      // The kernel reports only what differs from its defaults.
      setPolicy: o.setPolicy ? o.setPolicy : undefined,
      timeout: o.timeout ? Number(o.timeout) : undefined,
      gcInterval: o.gcInterval ? o.gcInterval : undefined,
      size: o.size ? o.size : undefined,
      concat: o.concat && o.concat.length > 1 ? [...o.concat] : undefined,
      userdata: o.userdata,
      exprs: o.exprs?.length ? storeExprs(this.#resolver(t), o.exprs) : undefined,
      elements: [],
    }
    t.sets.push(set)
    if (o.setId !== undefined) this.#ids.set(`${t.handle}/${o.setId}`, set)
    this.#change({ type: 'set', op: 'new', family: t.family, table: t.name, name, handle })
    this.#echo(o, index, handle)
  }

  #removeElements(t: FakeTable, s: FakeSet, n: number): void {
    if (n > 0) this.#change({ type: 'element', op: 'del', family: t.family, table: t.name, set: s.name, elements: n })
  }

  #elements(o: NativeOp): void {
    const t = this.#tableOf(o)
    if (!t) return
    const s = this.#resolver(t).set(o.set, o.setId)
    if (!s) refuse('ENOENT', `set ${o.set} not found`)
    if (o.verb === 'flush') {
      this.#removeElements(t, s, s.elements.length)
      s.elements = []
      return
    }
    let n = 0
    for (const e of elementsOf(o)) {
      const el = this.#element(t, s, e, o.verb === 'add' || o.verb === 'create')
      if (o.verb === 'add' || o.verb === 'create') {
        if (insertElement(s, el, o.verb === 'create')) n++
      } else if (removeElement(s, el)) n++
      else if (o.verb === 'delete') refuse('ENOENT', 'element not found')
    }
    if (n > 0) this.#change({ type: 'element', op: o.verb === 'add' || o.verb === 'create' ? 'new' : 'del', family: t.family, table: t.name, set: s.name, elements: n })
  }

  /** An element as the kernel would store it in `s`, checked as nft_add_set_elem checks it. */
  #element(t: FakeTable, s: FakeSet, e: NativeElement, adding: boolean): FakeElement {
    const flags = e.flags ?? 0
    if (!e.key || e.key.length !== s.keyLen) refuse('EINVAL', 'element key length differs from the set key length')
    if (e.keyEnd && (!(s.flags & SET.concat) || e.keyEnd.length !== s.keyLen)) refuse('EINVAL', 'element key end not valid for this set')
    const el: FakeElement = { key: e.key, flags }
    if (e.keyEnd) el.keyEnd = e.keyEnd
    if (!adding) return el
    const hasData = e.data !== undefined || e.verdict !== undefined
    if (s.flags & SET.map && !(flags & INTERVAL_END)) {
      if (!hasData) refuse('EINVAL', 'map element without a value')
      if (s.dataType === DATA_VERDICT) {
        if (e.verdict === undefined) refuse('EINVAL', 'verdict map element without a verdict')
        verdictTarget(t, e.verdict, e.chain)
        el.verdict = e.verdict
        if (e.chain !== undefined) el.chain = e.chain
      } else {
        if (!e.data || e.data.length !== s.dataLen) refuse('EINVAL', 'element value length differs from the map data length')
        el.data = e.data
      }
    } else if (hasData) refuse('EINVAL', 'element value in a set that is not a map')
    if (e.objref !== undefined) {
      if (!t.objects.some((x) => x.name === e.objref && x.objType === s.objType)) refuse('ENOENT', `object ${e.objref} not found`)
      el.objref = e.objref
    }
    if (e.userdata) el.userdata = e.userdata
    if (e.timeout !== undefined) {
      if (!(s.flags & SET.timeout)) refuse('EINVAL', 'element timeout in a set without timeouts')
      el.timeout = Number(e.timeout)
    }
    // The element's own expressions (of the set's kinds, in order, when the set declares some;
    // at most two), else copies of the set's; a counter starts from the values it is given.
    if (e.exprs?.length) {
      if (e.exprs.length > 2) refuse('E2BIG', 'more than two element expressions')
      if (s.exprs?.length && (s.exprs.length !== e.exprs.length || s.exprs.some((x, i) => x.type !== e.exprs?.[i].type)))
        refuse('EOPNOTSUPP', "element expressions differ from the set's")
    }
    const exprs = e.exprs?.length ? e.exprs : !(flags & INTERVAL_END) ? s.exprs : undefined
    if (exprs?.length) el.exprs = storeExprs(this.#resolver(t), exprs).map((x) => (x.type === 'counter' ? { ...x, packets: Number(x.packets ?? 0), bytes: Number(x.bytes ?? 0) } : x))
    return el
  }

  #object(o: NativeOp, index: number): void {
    const t = this.#tableOf(o)
    if (!t) return
    const x =
      o.name !== undefined ? t.objects.find((y) => y.name === o.name && y.objType === o.objType) : t.objects.find((y) => y.handle === Number(o.handle))
    if (o.verb === 'delete' || o.verb === 'destroy') {
      if (!x) {
        if (o.verb === 'destroy') return
        refuse('ENOENT', `object ${o.name} not found`)
      }
      const used = t.chains.some((c) => c.rules.some((r) => usesObject(r.exprs, x))) || t.sets.some((s) => s.elements.some((e) => e.objref === x.name && s.objType === x.objType))
      if (used) refuse('EBUSY', `object ${x.name} is still referenced`)
      t.objects.splice(t.objects.indexOf(x), 1)
      this.#change({ type: 'object', op: 'del', family: t.family, table: t.name, name: x.name, handle: x.handle, objType: x.objType })
      return
    }
    if (x) {
      if (o.verb === 'create') refuse('EEXIST', `object ${x.name} exists`)
      // As the kernel: a synproxy object is updated in place; counters (and the other kinds modelled here) have no update.
      if (x.objType === OBJECT_SYNPROXY) {
        const rec = o as unknown as Record<string, number | undefined>
        x.attrs = { mss: rec.mss ?? 0, wscale: rec.wscale ?? 0, flags: rec.flags ?? 0 }
      }
      return
    }
    const objType = o.objType ?? 0
    const rec = o as unknown as Record<string, number | bigint | string | undefined>
    const attrs: Record<string, number | bigint | string> = {}
    const ct = objType === OBJECT_CT_HELPER || objType === OBJECT_CT_EXPECT
    const names =
      objType === OBJECT_COUNTER
        ? ['packets', 'bytes']
        : ct
          ? ['helper', 'l3proto', 'l4proto', 'dport', 'expTimeout', 'expSize']
          : objType === OBJECT_SYNPROXY
            ? ['mss', 'wscale', 'flags']
            : ['bytes', 'consumed', 'flags', 'rate', 'unit', 'burst', 'limitType']
    // The kernel dumps every counter and synproxy attribute, 0 when not given.
    for (const k of names) if (rec[k] !== undefined || objType === OBJECT_COUNTER || objType === OBJECT_SYNPROXY) attrs[k] = rec[k] ?? 0
    // As the kernel: a ct object declared without l3proto takes the table's family.
    if (ct && attrs.l3proto === undefined) attrs.l3proto = t.family
    const handle = ++t.lastHandle
    const name = String(o.name)
    t.objects.push({ name, handle, objType, userdata: o.userdata, attrs })
    this.#change({ type: 'object', op: 'new', family: t.family, table: t.name, name, handle, objType })
    this.#echo(o, index, handle)
  }

  #change(c: FakeChange): void {
    this.changes.push(c)
  }
}

/** The name of a new set: `__set%d` becomes the lowest free `__set<n>` of the table, as nf_tables_set_alloc_name does. */
function anonymousName(t: FakeTable, name: string): string {
  const at = name.indexOf('%d')
  if (at < 0) return name
  const head = name.slice(0, at)
  const tail = name.slice(at + 2)
  const used = new Set<number>()
  for (const s of t.sets) {
    if (!s.name.startsWith(head) || !s.name.endsWith(tail)) continue
    const n = s.name.slice(head.length, s.name.length - tail.length)
    if (/^\d+$/.test(n)) used.add(Number(n))
  }
  let n = 0
  while (used.has(n)) n++
  return `${head}${n}${tail}`
}

/** The elements of an operation: packed keys first, then descriptors (the order the addon sends them). */
function elementsOf(o: NativeOp): NativeElement[] {
  const out: NativeElement[] = []
  if (o.packedKeys && o.keyLen) {
    const n = o.packedKeys.length / o.keyLen
    for (let i = 0; i < n; i++) out.push({ key: o.packedKeys.subarray(i * o.keyLen, (i + 1) * o.keyLen), flags: o.packedFlags?.[i] ?? 0 })
  }
  if (o.elements) out.push(...o.elements)
  return out
}

/**
 * A copy of the state a batch can change freely. Elements, rules and their
 * expressions are never changed in place (they are replaced or removed), so
 * the copy shares them and copies only the lists and the objects holding them:
 * a batch costs O(objects), not O(bytes).
 */
function copyState(s: FakeState): FakeState {
  return {
    ...s,
    tables: s.tables.map((t) => ({
      ...t,
      chains: t.chains.map((c) => ({ ...c, rules: [...c.rules] })),
      sets: t.sets.map((x) => ({ ...x, elements: copyElements(x.elements) })),
      objects: t.objects.map((o) => ({ ...o })),
    })),
  }
}

/**
 * Applies a batch: all of it or nothing, as nfnetlink does. With `genId`, a
 * batch planned against another generation is refused whole (ERESTART on the
 * batch, index -1).
 */
export function applyBatch(state: FakeState, ops: readonly NativeOp[], genId?: number): BatchOutcome {
  if (genId !== undefined && genId !== state.genId)
    return { state, errors: [{ errno: ERRNO.ERESTART, code: 'ERESTART', index: -1, msgType: MSG_BATCH_BEGIN }], handles: [], changes: [] }
  const work = copyState(state)
  const batch = new Batch(work)
  const errors: NativeOpError[] = []
  ops.forEach((o, index) => {
    try {
      batch.apply(o, index)
    } catch (e) {
      if (!(e instanceof Refusal)) throw e
      // No extended-ack text: the kernel sends none for most refusals, so messages read as they would.
      errors.push({ errno: ERRNO[e.code], code: e.code, index, msgType: messageType(o) })
    }
  })
  if (errors.length > 0) {
    // Aborting does not give handles back: the next objects get the ones after.
    state.lastTableHandle = work.lastTableHandle
    for (const t of state.tables) {
      const w = work.tables.find((x) => x.handle === t.handle)
      if (w) t.lastHandle = w.lastHandle
    }
    return { state, errors, handles: [], changes: [] }
  }
  // A batch that changed nothing leaves the generation as it was.
  if (batch.changes.length > 0) work.genId = state.genId + 1 >>> 0 || 1
  return { state: work, errors, handles: batch.handles, changes: batch.changes }
}
