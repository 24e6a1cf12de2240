/**
 * The reader of node policies: Antrea's `crd.antrea.io/v1beta1
 * ClusterNetworkPolicy` applied to Nodes (`spec.appliedTo[].nodeSelector`),
 * checked field by field into a {@link NodePolicyObject}. Every field Antrea
 * defines is either supported or refused by name (`spec.ingress[0].toServices:
 * not supported by nftkit`); a field Antrea does not define is an unknown
 * field. See docs/node-policies.md for the table.
 * @module
 */
import { parseAddress } from '../kernel/datatypes.js'
import { cidrRange } from './node-addresses.js'
import { didYouMean, NftValidationError } from '../kernel/errors.js'
import type { K8sProtocol, LabelRequirement, LabelSelector } from './types.js'

/** The action of a node-policy rule (Antrea's `Pass` is refused: there is no lower layer to pass to on a Node). */
export type NodeRuleAction = 'Allow' | 'Drop' | 'Reject'

/** An address block peer: `cidr` minus every `except` (each inside `cidr`). */
export interface NodeIPBlock {
  readonly cidr: string
  readonly except: readonly string[]
}

/**
 * A peer of a node-policy rule: an address block, the Nodes a selector picks
 * (their InternalIP/ExternalIP addresses), or Pods (by pod selector, namespace
 * selector, or both: an absent selector selects everything on its side).
 */
export type NodePolicyPeer =
  | { readonly kind: 'ipBlock'; readonly ipBlock: NodeIPBlock }
  | { readonly kind: 'nodes'; readonly nodeSelector: LabelSelector }
  | { readonly kind: 'pods'; readonly podSelector?: LabelSelector; readonly namespaceSelector?: LabelSelector }

/**
 * A transport port match: `protocol` (default TCP) and, optionally, a
 * destination port or inclusive range (`port`..`endPort`) and a source port or
 * range (`sourcePort`..`sourceEndPort`). Absent ports mean every port.
 */
export interface NodePolicyPort {
  readonly protocol: K8sProtocol
  readonly port?: number
  readonly endPort?: number
  readonly sourcePort?: number
  readonly sourceEndPort?: number
}

/** An ICMP match (ICMPv4 and ICMPv6 alike, as Antrea applies it): absent type/code match every type/code. */
export interface NodePolicyICMP {
  readonly icmpType?: number
  readonly icmpCode?: number
}

/**
 * One ingress or egress rule. `peers` empty: every address; `ports` and
 * `icmp` both empty: every protocol; otherwise the rule matches traffic that
 * matches any peer and any port or ICMP entry.
 */
export interface NodePolicyRule {
  readonly name?: string
  readonly action: NodeRuleAction
  readonly peers: readonly NodePolicyPeer[]
  readonly ports: readonly NodePolicyPort[]
  readonly icmp: readonly NodePolicyICMP[]
  /** Log matching packets (nft `log`, prefix naming the rule and `logLabel`). */
  readonly enableLogging: boolean
  readonly logLabel?: string
}

/** A checked node policy (from a ClusterNetworkPolicy whose appliedTo selects Nodes). */
export interface NodePolicyObject {
  readonly name: string
  /** Antrea's static tier, lower-cased (default `application`). */
  readonly tier: NodePolicyTier
  /** The tier's priority (emergency 50 ... application 250, baseline 253): evaluated before `priority`. */
  readonly tierPriority: number
  /** `spec.priority`: lower first (Antrea allows 1-10000, fractions included). */
  readonly priority: number
  /** The policy applies to a Node whose labels match any of these selectors. */
  readonly appliedTo: readonly LabelSelector[]
  readonly ingress: readonly NodePolicyRule[]
  readonly egress: readonly NodePolicyRule[]
}

/** Antrea's static tiers and their priorities (pkg/controller/networkpolicy/tier.go): lower is evaluated first. */
export const NODE_POLICY_TIERS = {
  emergency: 50,
  securityops: 100,
  networkops: 150,
  platform: 200,
  application: 250,
  baseline: 253,
} as const

/** One of Antrea's static tier names. */
export type NodePolicyTier = keyof typeof NODE_POLICY_TIERS

/** The apiVersion and kind this reader takes. */
export const CLUSTER_NETWORK_POLICY = { apiVersion: 'crd.antrea.io/v1beta1', kind: 'ClusterNetworkPolicy' } as const

/** True if a document is an Antrea ClusterNetworkPolicy (any crd.antrea.io version), to pick it out of mixed manifests. */
export function isClusterNetworkPolicy(doc: unknown): boolean {
  return isObj(doc) && doc.kind === 'ClusterNetworkPolicy' && typeof doc.apiVersion === 'string' && doc.apiVersion.startsWith('crd.antrea.io/')
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Why a field is refused: the Antrea fields nftkit knows and does not enforce on Nodes. */
const FOR_PODS = 'nftkit enforces ClusterNetworkPolicies on Nodes only, so appliedTo must be a nodeSelector alone'
const REFUSED = {
  rule: {
    toServices: 'Antrea refuses toServices for Node policies too',
    l7Protocols: 'no layer-7 rules',
    appliedTo: 'no rule-level appliedTo: select Nodes in spec.appliedTo',
  },
  peer: {
    namespaces: 'namespaces (match: Self, sameLabels) is relative to pods a policy applies to, and node policies apply to Nodes',
    externalEntitySelector: 'no ExternalEntities',
    group: 'no ClusterGroup references: write the selector or ipBlock in the rule',
    fqdn: 'Antrea refuses FQDN peers for Node policies too',
    serviceAccount: 'no serviceAccount peers',
  },
  appliedTo: {
    podSelector: FOR_PODS,
    namespaceSelector: FOR_PODS,
    externalEntitySelector: FOR_PODS,
    group: 'no ClusterGroup references: use nodeSelector',
    serviceAccount: FOR_PODS,
    service: FOR_PODS,
  },
  protocol: {
    igmp: 'no IGMP',
  },
} as const

/** The fields each object may have (supported ones; refused ones come from {@link REFUSED}). */
const FIELDS = {
  top: ['apiVersion', 'kind', 'metadata', 'spec', 'status'],
  spec: ['tier', 'priority', 'appliedTo', 'ingress', 'egress'],
  rule: ['action', 'ports', 'protocols', 'from', 'to', 'name', 'enableLogging', 'logLabel'],
  peer: ['ipBlock', 'podSelector', 'namespaceSelector', 'nodeSelector', 'scope'],
  appliedTo: ['nodeSelector'],
  port: ['protocol', 'port', 'endPort', 'sourcePort', 'sourceEndPort'],
  protocol: ['icmp'],
  icmp: ['icmpType', 'icmpCode'],
  ipBlock: ['cidr', 'except'],
  selector: ['matchLabels', 'matchExpressions'],
  requirement: ['key', 'operator', 'values'],
} as const

const fail = (path: string, reason: string, value: unknown): never => {
  throw new NftValidationError(path, reason, value)
}

/**
 * Refuses a field Antrea defines and nftkit does not enforce. The message is
 * `PATH: not supported by nftkit (WHY)`; `reason` is `not supported by nftkit (WHY)`.
 */
const refuse = (path: string, why: string, value: unknown): never => {
  const e = new NftValidationError(path, `not supported by nftkit (${why})`, value)
  e.message = `${path}: ${e.reason}`
  throw e
}

/** Refuses fields outside `allowed`: by name for the Antrea fields nftkit does not support, as unknown otherwise. */
function checkFields(o: Record<string, unknown>, path: string, allowed: readonly string[], refused: Readonly<Record<string, string>> = {}): void {
  for (const k of Object.keys(o)) {
    if (allowed.includes(k)) continue
    const at = `${path}.${k}`
    if (Object.hasOwn(refused, k)) refuse(at, refused[k], o[k])
    const hint = didYouMean(k, allowed)
    fail(at, `Unknown field${hint ? ` (did you mean '${hint}'?)` : ''}`, o[k])
  }
}

function obj(v: unknown, path: string, what = 'an object'): Record<string, unknown> {
  if (!isObj(v)) fail(path, `Expected ${what}`, v)
  return v as Record<string, unknown>
}

function list(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) fail(path, 'Expected a list', v)
  return v as unknown[]
}

function int(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(path, `Expected an integer ${min}-${max}`, v)
  return v as number
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/

/** A metav1.LabelSelector, checked (keys and values as strings, operators and their values). */
export function readLabelSelector(v: unknown, path: string): LabelSelector {
  const o = obj(v, path, 'a label selector')
  checkFields(o, path, FIELDS.selector)
  const matchLabels: Record<string, string> = {}
  if (o.matchLabels !== undefined && o.matchLabels !== null) {
    const ml = obj(o.matchLabels, `${path}.matchLabels`, 'a map of labels')
    for (const [k, val] of Object.entries(ml)) {
      if (k === '') fail(`${path}.matchLabels`, 'Expected non-empty label keys', k)
      if (typeof val !== 'string' || val.length > 63 || !LABEL_VALUE.test(val)) fail(`${path}.matchLabels.${k}`, 'Expected a label value (a string of up to 63 alphanumerics, -, _ or .)', val)
      matchLabels[k] = val as string
    }
  }
  const matchExpressions: LabelRequirement[] = list(o.matchExpressions, `${path}.matchExpressions`).map((e, i) => {
    const at = `${path}.matchExpressions[${i}]`
    const r = obj(e, at)
    checkFields(r, at, FIELDS.requirement)
    if (typeof r.key !== 'string' || r.key === '') fail(`${at}.key`, 'Expected a label key', r.key)
    const op = r.operator
    if (op !== 'In' && op !== 'NotIn' && op !== 'Exists' && op !== 'DoesNotExist') fail(`${at}.operator`, 'Expected In, NotIn, Exists or DoesNotExist', op)
    const values = list(r.values, `${at}.values`)
    values.forEach((x, j) => {
      if (typeof x !== 'string') fail(`${at}.values[${j}]`, 'Expected a string', x)
    })
    if ((op === 'In' || op === 'NotIn') && values.length === 0) fail(`${at}.values`, `Expected at least one value for ${op}`, r.values)
    if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0) fail(`${at}.values`, `Expected no values for ${op}`, r.values)
    return { key: r.key as string, operator: op as LabelRequirement['operator'], ...(values.length ? { values: values as string[] } : {}) }
  })
  return { ...(Object.keys(matchLabels).length ? { matchLabels } : {}), ...(matchExpressions.length ? { matchExpressions } : {}) }
}

/** The address family of a CIDR, checked; host bits are allowed and ignored, as the API server's net.ParseCIDR does. */
function cidrFamily(v: unknown, path: string): 'ip' | 'ip6' {
  if (typeof v !== 'string' || !v.includes('/')) fail(path, 'Expected a CIDR like 10.0.0.0/8 or 2001:db8::/32', v)
  const s = v as string
  for (const [name, fam] of [
    ['ipv4_addr', 'ip'],
    ['ipv6_addr', 'ip6'],
  ] as const) {
    const r = parseAddress(name, s)
    if (!('code' in r) || r.code === 'host-bits') return fam
  }
  return fail(path, 'Expected a CIDR like 10.0.0.0/8 or 2001:db8::/32', v)
}

function readIPBlock(v: unknown, path: string): NodeIPBlock {
  const o = obj(v, path)
  checkFields(o, path, FIELDS.ipBlock)
  const fam = cidrFamily(o.cidr, `${path}.cidr`)
  const block = cidrRange(o.cidr as string)
  const except = list(o.except, `${path}.except`).map((e, i) => {
    if (cidrFamily(e, `${path}.except[${i}]`) !== fam) fail(`${path}.except[${i}]`, 'Expected a CIDR of the same family as cidr', e)
    const r = cidrRange(e as string)
    // As Antrea's webhook and the API server: an except must lie inside the cidr.
    if (block && r && (r.range.lo < block.range.lo || r.range.hi > block.range.hi)) fail(`${path}.except[${i}]`, `Expected a CIDR inside ${o.cidr}`, e)
    return e as string
  })
  return { cidr: o.cidr as string, except }
}

function readPeer(v: unknown, path: string): NodePolicyPeer {
  const o = obj(v, path, 'a peer')
  checkFields(o, path, FIELDS.peer, REFUSED.peer)
  if (o.scope !== undefined && o.scope !== 'Cluster')
    if (o.scope === 'ClusterSet') refuse(`${path}.scope`, 'no multi-cluster ClusterSet scope', o.scope)
    else fail(`${path}.scope`, 'Expected Cluster', o.scope)
  const kinds = (['ipBlock', 'nodeSelector', 'podSelector', 'namespaceSelector'] as const).filter((k) => o[k] !== undefined && o[k] !== null)
  if (kinds.length === 0) fail(path, 'Expected one of ipBlock, nodeSelector, podSelector, namespaceSelector', v)
  if (o.ipBlock !== undefined && kinds.length > 1) fail(path, 'Expected ipBlock alone (Antrea allows no other selector with it)', kinds)
  if (o.nodeSelector !== undefined && kinds.length > 1) fail(path, 'Expected nodeSelector alone (Antrea allows no other selector with it)', kinds)
  if (o.ipBlock !== undefined) return { kind: 'ipBlock', ipBlock: readIPBlock(o.ipBlock, `${path}.ipBlock`) }
  if (o.nodeSelector !== undefined) return { kind: 'nodes', nodeSelector: readLabelSelector(o.nodeSelector, `${path}.nodeSelector`) }
  return {
    kind: 'pods',
    ...(o.podSelector != null ? { podSelector: readLabelSelector(o.podSelector, `${path}.podSelector`) } : {}),
    ...(o.namespaceSelector != null ? { namespaceSelector: readLabelSelector(o.namespaceSelector, `${path}.namespaceSelector`) } : {}),
  }
}

function readPort(v: unknown, path: string): NodePolicyPort {
  const o = obj(v, path, 'a port')
  checkFields(o, path, FIELDS.port)
  const protocol = o.protocol ?? 'TCP'
  if (protocol !== 'TCP' && protocol !== 'UDP' && protocol !== 'SCTP') fail(`${path}.protocol`, 'Expected TCP, UDP or SCTP', o.protocol)
  if (typeof o.port === 'string' && !/^\d+$/.test(o.port))
    refuse(`${path}.port`, 'no named ports on Nodes: a Node has no container ports to resolve them against', o.port)
  const port = o.port === undefined || o.port === null ? undefined : int(typeof o.port === 'string' ? Number(o.port) : o.port, `${path}.port`, 1, 65535)
  const endPort = o.endPort === undefined ? undefined : int(o.endPort, `${path}.endPort`, 1, 65535)
  if (endPort !== undefined && port === undefined) fail(`${path}.endPort`, 'Expected endPort only with a numeric port', o.endPort)
  if (endPort !== undefined && port !== undefined && endPort < port) fail(`${path}.endPort`, `Expected endPort >= port (${port})`, o.endPort)
  const sourcePort = o.sourcePort === undefined ? undefined : int(o.sourcePort, `${path}.sourcePort`, 1, 65535)
  const sourceEndPort = o.sourceEndPort === undefined ? undefined : int(o.sourceEndPort, `${path}.sourceEndPort`, 1, 65535)
  if (sourceEndPort !== undefined && sourcePort === undefined) fail(`${path}.sourceEndPort`, 'Expected sourceEndPort only with sourcePort', o.sourceEndPort)
  if (sourceEndPort !== undefined && sourcePort !== undefined && sourceEndPort < sourcePort)
    fail(`${path}.sourceEndPort`, `Expected sourceEndPort >= sourcePort (${sourcePort})`, o.sourceEndPort)
  return {
    protocol: protocol as K8sProtocol,
    ...(port !== undefined ? { port } : {}),
    ...(endPort !== undefined ? { endPort } : {}),
    ...(sourcePort !== undefined ? { sourcePort } : {}),
    ...(sourceEndPort !== undefined ? { sourceEndPort } : {}),
  }
}

function readICMP(v: unknown, path: string): NodePolicyICMP {
  const o = obj(v, path, 'a protocol')
  checkFields(o, path, FIELDS.protocol, REFUSED.protocol)
  if (o.icmp === undefined) fail(path, 'Expected icmp', v)
  const at = `${path}.icmp`
  const i = o.icmp === null ? {} : obj(o.icmp, at)
  checkFields(i, at, FIELDS.icmp)
  const icmpType = i.icmpType == null ? undefined : int(i.icmpType, `${at}.icmpType`, 0, 255)
  const icmpCode = i.icmpCode == null ? undefined : int(i.icmpCode, `${at}.icmpCode`, 0, 255)
  return { ...(icmpType !== undefined ? { icmpType } : {}), ...(icmpCode !== undefined ? { icmpCode } : {}) }
}

function readRule(v: unknown, path: string, dir: 'ingress' | 'egress'): NodePolicyRule {
  const o = obj(v, path, 'a rule')
  checkFields(o, path, FIELDS.rule, REFUSED.rule)
  // Ingress rules take `from`, egress rules `to` (Antrea's CRD says so; the other is refused, not ignored).
  const peersField = dir === 'ingress' ? 'from' : 'to'
  const wrong = dir === 'ingress' ? 'to' : 'from'
  if (o[wrong] !== undefined) fail(`${path}.${wrong}`, `Expected '${peersField}' in an ${dir} rule ('${wrong}' is for ${dir === 'ingress' ? 'egress' : 'ingress'} rules)`, o[wrong])
  const a = o.action
  if (a === 'Pass') refuse(`${path}.action`, 'no Pass on Nodes: there is no lower layer of policy to pass to; use Allow, Drop or Reject', a)
  if (a !== 'Allow' && a !== 'Drop' && a !== 'Reject') fail(`${path}.action`, 'Expected Allow, Drop or Reject', a)
  if (o.name !== undefined && typeof o.name !== 'string') fail(`${path}.name`, 'Expected a string', o.name)
  if (o.enableLogging !== undefined && typeof o.enableLogging !== 'boolean') fail(`${path}.enableLogging`, 'Expected true or false', o.enableLogging)
  if (o.logLabel !== undefined && (typeof o.logLabel !== 'string' || o.logLabel.length > 63 || !LABEL_VALUE.test(o.logLabel)))
    fail(`${path}.logLabel`, 'Expected a label of up to 63 alphanumerics, -, _ or .', o.logLabel)
  return {
    ...(o.name ? { name: o.name as string } : {}),
    action: a as NodeRuleAction,
    peers: list(o[peersField], `${path}.${peersField}`).map((p, i) => readPeer(p, `${path}.${peersField}[${i}]`)),
    ports: list(o.ports, `${path}.ports`).map((p, i) => readPort(p, `${path}.ports[${i}]`)),
    icmp: list(o.protocols, `${path}.protocols`).map((p, i) => readICMP(p, `${path}.protocols[${i}]`)),
    enableLogging: o.enableLogging === true,
    ...(o.logLabel ? { logLabel: o.logLabel as string } : {}),
  }
}

function readAppliedTo(v: unknown, path: string): LabelSelector {
  const o = obj(v, path, 'an appliedTo entry')
  checkFields(o, path, FIELDS.appliedTo, REFUSED.appliedTo)
  if (o.nodeSelector === undefined || o.nodeSelector === null) fail(path, 'Expected nodeSelector (nftkit enforces ClusterNetworkPolicies on Nodes only)', v)
  return readLabelSelector(o.nodeSelector, `${path}.nodeSelector`)
}

/**
 * Reads one Antrea ClusterNetworkPolicy document as a node policy.
 *
 * Supported: `metadata.name`; `spec.priority` (1-10000, fractions allowed);
 * `spec.tier` (Antrea's static tiers, any case; default `application`);
 * `spec.appliedTo[].nodeSelector`; `spec.ingress[].from` / `spec.egress[].to`
 * with `ipBlock` (`cidr`, `except`), `nodeSelector`, `podSelector` and/or
 * `namespaceSelector`, `scope: Cluster`; `ports[]` (`protocol` TCP/UDP/SCTP,
 * default TCP; numeric `port`, `endPort`, `sourcePort`, `sourceEndPort`);
 * `protocols[].icmp` (`icmpType`, `icmpCode`); `action` Allow/Drop/Reject;
 * `name`, `enableLogging`, `logLabel`. `metadata` other than the name and the
 * whole `status` are ignored.
 *
 * Refused, naming the field: `Pass`, `toServices`, `l7Protocols`, rule-level
 * `appliedTo`, appliedTo entries other than a lone `nodeSelector` (a policy
 * for pods), `group`, `fqdn`, `namespaces`, `serviceAccount`,
 * `externalEntitySelector`, `scope: ClusterSet`, named ports, `igmp`, custom
 * tiers, and any field Antrea does not define.
 *
 * @param doc the parsed YAML/JSON document
 * @param path where the document came from, prefixed to every field path of an error (e.g. `cluster.yaml#2`); may be empty
 * @throws NftValidationError naming the field path, for anything not supported or invalid.
 */
export function readClusterNetworkPolicy(doc: unknown, path: string): NodePolicyObject {
  const p = (field: string) => (path ? `${path}.${field}` : field)
  const o = obj(doc, path || '<document>', 'a ClusterNetworkPolicy object')
  checkFields(o, path || '<document>', FIELDS.top)
  if (o.kind !== CLUSTER_NETWORK_POLICY.kind) fail(p('kind'), `Expected ${CLUSTER_NETWORK_POLICY.kind}`, o.kind)
  if (o.apiVersion !== CLUSTER_NETWORK_POLICY.apiVersion) fail(p('apiVersion'), `Expected ${CLUSTER_NETWORK_POLICY.apiVersion}`, o.apiVersion)
  const meta = obj(o.metadata, p('metadata'))
  if (typeof meta.name !== 'string' || !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(meta.name))
    fail(p('metadata.name'), 'Expected a Kubernetes object name (lower-case alphanumerics, - and ., at most 253)', meta.name)
  const spec = obj(o.spec, p('spec'))
  checkFields(spec, p('spec'), FIELDS.spec)
  if (typeof spec.priority !== 'number' || !Number.isFinite(spec.priority) || spec.priority < 1 || spec.priority > 10000)
    fail(p('spec.priority'), 'Expected a number 1-10000', spec.priority)
  let tier: NodePolicyTier = 'application'
  if (spec.tier !== undefined && spec.tier !== null && spec.tier !== '') {
    const t = typeof spec.tier === 'string' ? spec.tier.toLowerCase() : ''
    if (!Object.hasOwn(NODE_POLICY_TIERS, t))
      refuse(p('spec.tier'), `no custom Tier objects: use one of Antrea's static tiers, ${Object.keys(NODE_POLICY_TIERS).join(', ')}`, spec.tier)
    tier = t as NodePolicyTier
  }
  const appliedTo = list(spec.appliedTo, p('spec.appliedTo')).map((a, i) => readAppliedTo(a, p(`spec.appliedTo[${i}]`)))
  if (appliedTo.length === 0) fail(p('spec.appliedTo'), 'Expected at least one appliedTo entry with a nodeSelector (nftkit enforces ClusterNetworkPolicies on Nodes only)', spec.appliedTo)
  return {
    name: meta.name as string,
    tier,
    tierPriority: NODE_POLICY_TIERS[tier],
    priority: spec.priority as number,
    appliedTo,
    ingress: list(spec.ingress, p('spec.ingress')).map((r, i) => readRule(r, p(`spec.ingress[${i}]`), 'ingress')),
    egress: list(spec.egress, p('spec.egress')).map((r, i) => readRule(r, p(`spec.egress[${i}]`), 'egress')),
  }
}
