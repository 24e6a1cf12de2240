/**
 * Liqo FirewallConfiguration validation and mapping without a kernel:
 * validate() on valid objects (minimal, every feature, the manifests Liqo
 * ships) and on invalid ones, each with the exact problem paths and the key
 * words of each message; toOperations() as nft text.
 *
 * References: /work/shared/liqo-firewallconfiguration.md (API, webhook,
 * defects) and test/fixtures/liqo/ (Liqo's shipped manifests, rendered).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Transaction } from '../../lib/batch/transaction.js'
import { type FirewallConfiguration, readDocuments, toOperations, validate } from '../../lib/liqo/firewall-configuration.js'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'liqo')
const fixture = (name: string) => {
  const { documents, problems } = readDocuments(readFileSync(join(FIXTURES, name), 'utf8'), name)
  expect(problems).toEqual([])
  return documents.map((d) => d.value)
}

type Obj = Record<string, unknown>

/** A FirewallConfiguration around a table (IPV4 table `t` unless overridden). */
const fwc = (table: Obj = {}, top: Obj = {}): Obj => ({
  apiVersion: 'networking.liqo.io/v1beta1',
  kind: 'FirewallConfiguration',
  metadata: { name: 'x', labels: { 'networking.liqo.io/firewall-category': 'gateway' } },
  spec: { table: { name: 't', family: 'IPV4', ...table } },
  ...top,
})
const filterChain = (rules: unknown, extra: Obj = {}): Obj => ({ name: 'c', type: 'filter', hook: 'forward', policy: 'accept', priority: 0, rules: { filterRules: rules }, ...extra })
const natChain = (rules: unknown, extra: Obj = {}): Obj => ({ name: 'n', type: 'nat', hook: 'postrouting', policy: 'accept', priority: 100, rules: { natRules: rules }, ...extra })
/** One filter rule in one forward chain. */
const filter = (rule: Obj, table: Obj = {}, chain: Obj = {}) => fwc({ chains: [filterChain([{ name: 'r', match: [], action: 'accept', ...rule }], chain)], ...table })
/** One filter rule with one match entry. */
const match = (m: Obj, table: Obj = {}) => filter({ match: [{ op: 'eq', ...m }] }, table)
/** One NAT rule in one nat chain. */
const nat = (rule: Obj, chain: Obj = {}, table: Obj = {}) => fwc({ chains: [natChain([{ name: 'r', match: [], ...rule }], chain)], ...table })
const withSets = (sets: unknown, chainMatch?: Obj, table: Obj = {}) =>
  fwc({ sets, ...(chainMatch ? { chains: [filterChain([{ name: 'r', match: [{ op: 'eq', ...chainMatch }], action: 'accept' }])] } : {}), ...table })

const R = 'spec.table.chains[0].rules.filterRules[0]'
const N = 'spec.table.chains[0].rules.natRules[0]'
const M = `${R}.match[0]`

describe('validate: valid objects', () => {
  it.each<[string, unknown]>([
    ['a table without chains', fwc()],
    ['an empty chain list and an empty rules object', fwc({ chains: [{ ...filterChain([]), rules: {} }] })],
    ['priority absent (the CRD default 0 applies)', fwc({ chains: [{ name: 'c', type: 'filter', hook: 'input', policy: 'drop', rules: { filterRules: [] } }] })],
    ['status written by an agent', fwc({}, { status: { conditions: [{ host: 'gw-1', type: 'Applied', status: 'True' }] } })],
    [
      'every match kind in one entry, and neq',
      filter({
        match: [
          { op: 'eq', ip: { value: '10.0.0.0/8', position: 'src' }, port: { value: '1000-2000', position: 'dst' }, proto: { value: 'tcp' }, dev: { value: 'liqo-tunnel', position: 'out' } },
          { op: 'neq', ip: { value: '10.0.0.1 - 10.0.0.20', position: 'dst' }, ctstate: { value: ['established', 'related'] } },
        ],
      }),
    ],
    ['an IPv6 address match in an INET table', match({ ip: { value: '2001:db8::/32', position: 'src' } }, { family: 'INET' })],
    ['a port given as a number', match({ port: { value: 53, position: 'dst' } })],
    ['counter false', filter({ counter: false })],
    ['every filter action with its value', fwc({ chains: [filterChain([
      { name: 'a', match: [], action: 'accept' },
      { name: 'b', match: [], action: 'drop' },
      { name: 'c', match: [], action: 'reject', value: 'tcp reset' },
      { name: 'd', match: [], action: 'reject', value: 'icmp admin-prohibited' },
      { name: 'e', match: [], action: 'ctmark', value: '4294967295' },
      { name: 'f', match: [], action: 'metamarkfromctmark' },
      { name: 'g', match: [{ op: 'eq', proto: { value: 'tcp' } }], action: 'tcpmssclamp', value: '1360' },
      { name: 'h', match: [], action: 'notrack' },
    ])] })],
    ['NAT: snat to a prefix, masquerade, dnat to an address', fwc({ chains: [
      natChain([{ name: 's', match: [{ op: 'eq', ip: { value: '10.70.0.0/16', position: 'src' } }], natType: 'snat', to: '10.80.0.0/16' }, { name: 'm', match: [], natType: 'masquerade' }]),
      natChain([{ name: 'd', match: [], natType: 'dnat', to: '192.168.1.10', targetRef: { kind: 'Pod', name: 'p' } }], { name: 'pre', hook: 'prerouting', priority: -100 }),
    ] })],
    ['a route chain with route rules', fwc({ chains: [{ name: 'r', type: 'route', hook: 'output', policy: 'accept', rules: { routeRules: [{ name: 'x' }] } }] })],
    ['sets of every key type, a verdict map, and @set matches', withSets([
      { name: 'pods', keyType: 'ipv4_addr', elements: [{ key: '10.0.0.1' }] },
      { name: 'nets', keyType: 'ipv4_cidr', elements: [{ key: '10.1.0.0/16' }, { key: '10.2.0.1-10.2.0.9' }] },
      { name: 'v6', keyType: 'ipv6_cidr', elements: [{ key: '2001:db8::/32' }] },
      { name: 'ports', keyType: 'inet_service', elements: [{ key: '443' }] },
      { name: 'vm', keyType: 'ipv4_addr', dataType: 'verdict', elements: [{ key: '10.0.0.2', data: 'drop' }] },
    ], { ip: { value: '@nets', position: 'src' } })],
    // Liqo's webhook allows filter/forward only for IPV4; nftkit follows the kernel, which takes it in INET too.
    ['a filter forward chain in an INET table', filter({}, { family: 'INET' })],
    // nft_reject_validate allows prerouting, input, forward and output (checked with nft 1.0.6 on Linux 6.18 for ip, ip6, inet).
    ['reject in a prerouting chain (the kernel takes it)', filter({ action: 'reject' }, {}, { hook: 'prerouting' })],
    ['reject in a prerouting chain of an INET table', filter({ action: 'reject', value: 'icmpx admin-prohibited' }, { family: 'INET' }, { hook: 'prerouting' })],
    ['reject in a BRIDGE table at prerouting and input', fwc({ family: 'BRIDGE', chains: [filterChain([{ name: 'r', match: [], action: 'reject' }], { hook: 'prerouting' }), filterChain([{ name: 'r', match: [], action: 'reject' }], { name: 'd', hook: 'input' })] })],
    ['INET: an IPv6 match, then reject with icmpv6, and tcp reset after proto tcp', fwc({ family: 'INET', chains: [filterChain([
      { name: 'a', match: [{ op: 'eq', ip: { value: '2001:db8::1', position: 'src' } }], action: 'reject', value: 'icmpv6 admin-prohibited' },
      { name: 'b', match: [{ op: 'eq', proto: { value: 'tcp' } }], action: 'reject', value: 'tcp reset' },
    ])] })],
    ['map data of each data type', withSets([
      { name: 'a', keyType: 'ipv4_addr', dataType: 'ipv4_addr', elements: [{ key: '10.0.0.1', data: '192.168.0.1' }] },
      { name: 'm', keyType: 'ipv4_addr', dataType: 'mark', elements: [{ key: '10.0.0.1', data: '0x10' }] },
      { name: 'p', keyType: 'ipv4_addr', dataType: 'inet_service', elements: [{ key: '10.0.0.1', data: '8080' }] },
      { name: 'v', keyType: 'ipv4_addr', dataType: 'verdict', elements: [{ key: '10.0.0.1', data: 'accept' }, { key: '10.0.0.2', data: 'return' }] },
    ])],
    ['tcpmssclamp to the route MTU in forward, output and postrouting', fwc({ chains: (['forward', 'output', 'postrouting'] as const).map((hook) =>
      filterChain([{ name: 'r', match: [{ op: 'eq', proto: { value: 'tcp' } }], action: 'tcpmssclamp' }], { name: hook, hook }),
    ) })],
    ['label values that are strings, keys with dots and slashes', fwc({}, { metadata: { name: 'x', labels: { 'networking.liqo.io/firewall-category': 'gateway', a: '' } } })],
  ])('%s', (_name, obj) => {
    expect(validate(obj)).toEqual([])
  })

  it("Liqo's shipped MSS-clamping manifest (rendered with the chart defaults)", () => {
    const docs = fixture('gw-mssclamp.yaml')
    expect(docs).toHaveLength(1)
    expect(validate(docs[0])).toEqual([])
  })

  it("Liqo's shipped notrack manifests, fabric and gateway", () => {
    const docs = fixture('notrack.yaml')
    expect(docs.map((d) => (d as { metadata: { name: string } }).metadata.name)).toEqual(['fabric-notrack', 'gw-notrack'])
    for (const d of docs) expect(validate(d)).toEqual([])
  })
})

/** A case: the object, then each expected problem as [path, key words]. */
type Case = [string, unknown, Array<[string, RegExp]>]

const INVALID: Case[] = [
  // The envelope.
  ['not an object', ['x'], [['', /expected an object/]]],
  ['wrong apiVersion and kind', fwc({}, { apiVersion: 'networking.liqo.io/v1alpha1', kind: 'FirewallConfig' }), [['apiVersion', /expected networking\.liqo\.io\/v1beta1, got "networking\.liqo\.io\/v1alpha1"/], ['kind', /expected FirewallConfiguration, got "FirewallConfig"/]]],
  ['a misspelt top-level field, so no spec', { apiVersion: 'networking.liqo.io/v1beta1', kind: 'FirewallConfiguration', specs: {} }, [['specs', /unknown field 'specs' \(expected one of apiVersion, kind, metadata, spec, status\)/], ['spec', /expected an object with table/]]],
  ['labels as a list', fwc({}, { metadata: { labels: ['a'] } }), [['metadata.labels', /expected a map of strings/]]],
  ['spec without table', fwc({}, { spec: { tables: {} } }), [['spec.tables', /unknown field 'tables'/], ['spec.table', /expected an object with name, family and chains/]]],
  // The table.
  ['a misspelt table field', fwc({ chain: [] }), [['spec.table.chain', /unknown field 'chain' \(expected one of name, family, chains, sets\)/]]],
  ['table name missing, family lower-case', fwc({ name: undefined, family: 'ipv4' }), [['spec.table.name', /expected a table name \(a non-empty string\), got undefined/], ['spec.table.family', /expected one of INET, IPV4, IPV6, ARP, NETDEV, BRIDGE, got "ipv4"/]]],
  ['table name of 256 bytes', fwc({ name: 'x'.repeat(256) }), [['spec.table.name', /at most 255 bytes/]]],
  ['chains not a list', fwc({ chains: { name: 'c' } }), [['spec.table.chains', /expected a list/]]],
  // Chains.
  ['a chain that is not an object', fwc({ chains: ['c'] }), [['spec.table.chains[0]', /expected an object/]]],
  ['duplicate chain names', fwc({ chains: [filterChain([]), filterChain([])] }), [['spec.table.chains[1].name', /duplicate chain name 'c'/]]],
  ['chain with a wrong type, hook and policy, and a misspelt field', fwc({ chains: [{ ...filterChain([]), type: 'mangle', hook: 'forwarding', policy: 'reject', prio: 1 }] }), [
    ['spec.table.chains[0].prio', /unknown field 'prio'/],
    ['spec.table.chains[0].type', /expected one of filter, nat, route, got "mangle"/],
    ['spec.table.chains[0].hook', /expected one of prerouting, input, forward, output, postrouting, ingress, got "forwarding"/],
    ['spec.table.chains[0].policy', /expected one of accept, drop, got "reject"/],
  ]],
  ['required chain fields missing', fwc({ chains: [{ rules: {} }] }), [
    ['spec.table.chains[0].name', /expected a chain name/],
    ['spec.table.chains[0].type', /expected one of filter, nat, route, got undefined/],
    ['spec.table.chains[0].hook', /got undefined/],
    ['spec.table.chains[0].policy', /got undefined/],
  ]],
  ['priority not a 32-bit integer: a fraction, a string, 2^31', fwc({ chains: [filterChain([], { priority: 1.5 }), filterChain([], { name: 'd', priority: '0' }), filterChain([], { name: 'e', priority: 2 ** 31 })] }), [
    ['spec.table.chains[0].priority', /expected a 32-bit integer, got 1\.5/],
    ['spec.table.chains[1].priority', /expected a 32-bit integer, got "0"/],
    ['spec.table.chains[2].priority', /expected a 32-bit integer, got 2147483648/],
  ]],
  ['a nat chain in an ARP table', fwc({ family: 'ARP', chains: [natChain([], { hook: 'input' })] }), [['spec.table.chains[0].type', /a nat chain is not valid in a ARP table/]]],
  ['a filter chain in a NETDEV table at prerouting', fwc({ family: 'NETDEV', chains: [filterChain([], { hook: 'prerouting' })] }), [['spec.table.chains[0].hook', /cannot hook prerouting \(allowed: ingress\)/]]],
  ['a route chain at input', fwc({ chains: [{ name: 'r', type: 'route', hook: 'input', policy: 'accept', rules: {} }] }), [['spec.table.chains[0].hook', /a route chain in a IPV4 table cannot hook input \(allowed: output\)/]]],
  ['an ingress chain (no devices in the API)', fwc({ family: 'NETDEV', chains: [filterChain([], { hook: 'ingress' })] }), [['spec.table.chains[0].hook', /ingress chains need a device/]]],
  ['rules missing', fwc({ chains: [{ ...filterChain([]), rules: undefined }] }), [['spec.table.chains[0].rules', /expected an object with filterRules, natRules or routeRules/]]],
  // Rule kinds against the chain type.
  ['natRules in a filter chain', fwc({ chains: [{ ...filterChain([]), rules: { natRules: [] } }] }), [['spec.table.chains[0].rules.natRules', /a filter chain takes filterRules, not natRules/]]],
  ['filterRules in a nat chain', fwc({ chains: [{ ...natChain([]), rules: { filterRules: [] } }] }), [['spec.table.chains[0].rules.filterRules', /a nat chain takes natRules, not filterRules/]]],
  ['two rule lists in one chain', fwc({ chains: [{ ...filterChain([]), rules: { filterRules: [], routeRules: [] } }] }), [
    ['spec.table.chains[0].rules', /at most one of filterRules, natRules, routeRules \(got filterRules, routeRules\)/],
    ['spec.table.chains[0].rules.routeRules', /a filter chain takes filterRules, not routeRules/],
  ]],
  ['a misspelt rule list', fwc({ chains: [{ ...filterChain([]), rules: { filterRule: [] } }] }), [
    ['spec.table.chains[0].rules.filterRule', /unknown field 'filterRule' \(expected one of filterRules, natRules, routeRules\)/],
    ['spec.table.chains[0].rules.filterRule', /a filter chain takes filterRules, not filterRule/],
  ]],
  ['filterRules not a list', fwc({ chains: [filterChain({ name: 'r' })] }), [['spec.table.chains[0].rules.filterRules', /expected a list/]]],
  // Rules.
  ['a rule that is not an object', fwc({ chains: [filterChain(['r'])] }), [[R, /expected an object/]]],
  ['rule name missing (the webhook would fill a UUID; nftkit needs it)', filter({ name: undefined }), [[`${R}.name`, /expected a rule name \(rules are identified by name\)/]]],
  ['duplicate rule names in a chain', fwc({ chains: [filterChain([{ name: 'r', match: [], action: 'accept' }, { name: 'r', match: [], action: 'drop' }])] }), [['spec.table.chains[0].rules.filterRules[1].name', /duplicate rule name 'r' in chain c/]]],
  ['rule name over 127 bytes', filter({ name: 'é'.repeat(64) }), [[`${R}.name`, /at most 127 bytes \(stored as the rule comment\)/]]],
  ['match missing, counter not a boolean, action unknown', filter({ match: undefined, counter: 'yes', action: 'allow' }), [
    [`${R}.match`, /expected a list \(may be empty\)/],
    [`${R}.counter`, /expected true or false/],
    [`${R}.action`, /expected one of accept, drop, reject, ctmark, metamarkfromctmark, tcpmssclamp, notrack, got "allow"/],
  ]],
  ['a misspelt rule field', filter({ actions: 'drop' }), [[`${R}.actions`, /unknown field 'actions' \(expected one of name, counter, match, action, value\)/]]],
  ['ctmark without a value, and in hex', fwc({ chains: [filterChain([{ name: 'a', match: [], action: 'ctmark' }, { name: 'b', match: [], action: 'ctmark', value: '0x10' }])] }), [
    [`${R}.value`, /expected a mark 0-4294967295 for ctmark, got undefined/],
    ['spec.table.chains[0].rules.filterRules[1].value', /got "0x10"/],
  ]],
  ['tcpmssclamp without a tcp match, with a too large MSS', filter({ action: 'tcpmssclamp', value: '70000', match: [{ op: 'eq', dev: { value: 'eth0', position: 'out' } }] }), [
    [`${R}.value`, /expected an MSS 0-65535 \(0 = route MTU\), got "70000"/],
    [`${R}.match`, /tcpmssclamp needs a match with proto tcp and op eq/],
  ]],
  ['tcpmssclamp with proto tcp but op neq', filter({ action: 'tcpmssclamp', match: [{ op: 'neq', proto: { value: 'tcp' } }] }), [[`${R}.match`, /tcpmssclamp needs a match with proto tcp and op eq/]]],
  ['reject in postrouting, and an unknown reject type', filter({ action: 'reject', value: 'icmp' }, {}, { hook: 'postrouting' }), [
    [`${R}.action`, /the kernel allows reject in IPV4 tables only in prerouting, input, forward, output chains, not postrouting/],
    [`${R}.value`, /expected a reject type: 'tcp reset', 'icmp <code>', 'icmpv6 <code>' or 'icmpx <code>', got "icmp"/],
  ]],
  // Matches.
  ['a match that is not an object, and one with a misspelt field and op', filter({ match: ['eq', { op: 'ne', protocol: { value: 'tcp' } }] }), [
    [M, /expected an object/],
    [`${R}.match[1].protocol`, /unknown field 'protocol' \(expected one of op, ip, port, proto, dev, ctstate\)/],
    [`${R}.match[1].op`, /expected one of eq, neq, got "ne"/],
  ]],
  ['ip: a wrong position, and not an address', match({ ip: { value: 'banana', position: 'source' } }), [
    [`${M}.ip.position`, /expected one of src, dst, got "source"/],
    [`${M}.ip.value`, /expected an IPv4\/IPv6 address, CIDR \(no host bits\) or range a-b with a <= b, or @set, got "banana"/],
  ]],
  ['ip: host bits in a CIDR (Liqo silently never matches): a did-you-mean', match({ ip: { value: '10.0.0.5/24', position: 'src' } }), [[`${M}.ip.value`, /no host bits set \(did you mean 10\.0\.0\.0\/24\?\), got "10\.0\.0\.5\/24"/]]],
  ['ip: a range whose start is above its end', match({ ip: { value: '10.0.0.9-10.0.0.1', position: 'src' } }), [[`${M}.ip.value`, /range whose start is not above its end, got "10\.0\.0\.9-10\.0\.0\.1"/]]],
  ['ip: not a string, and an ip object that is a string', filter({ match: [{ op: 'eq', ip: { value: 10, position: 'dst' } }, { op: 'eq', ip: '10.0.0.1' }] }), [
    [`${M}.ip.value`, /expected an address, CIDR, range or @set \(a non-empty string\), got 10/],
    [`${R}.match[1].ip`, /expected \{ value, position \}/],
  ]],
  ['ip: @set that does not exist', match({ ip: { value: '@nope', position: 'src' } }), [[`${M}.ip.value`, /no set named 'nope' in spec\.table\.sets/]]],
  ['ip: @set of ports', withSets([{ name: 'p', keyType: 'inet_service' }], { ip: { value: '@p', position: 'src' } }), [[`${M}.ip.value`, /set 'p' holds inet_service, not addresses/]]],
  ['port: above 65535, a reversed range, a name', filter({ match: [
    { op: 'eq', port: { value: '70000', position: 'dst' } },
    { op: 'eq', port: { value: '200-100', position: 'dst' } },
    { op: 'eq', port: { value: 'http', position: 'dport' } },
  ] }), [
    [`${M}.port.value`, /expected a port 0-65535 or a range N-M with N <= M, got "70000"/],
    [`${R}.match[1].port.value`, /got "200-100"/],
    [`${R}.match[2].port.position`, /expected one of src, dst, got "dport"/],
    [`${R}.match[2].port.value`, /got "http"/],
  ]],
  ['proto: icmp', match({ proto: { value: 'icmp' } }), [[`${M}.proto.value`, /expected one of tcp, udp, got "icmp"/]]],
  ['dev: a name over 15 bytes, and a wrong position', match({ dev: { value: 'a-very-long-ifname', position: 'inout' } }), [
    [`${M}.dev.position`, /expected one of in, out, got "inout"/],
    [`${M}.dev.value`, /interface name of at most 15 bytes, got "a-very-long-ifname"/],
  ]],
  ['ctstate: empty, and an unknown state', filter({ match: [{ op: 'eq', ctstate: { value: [] } }, { op: 'eq', ctstate: { value: ['new', 'bogus'] } }] }), [
    [`${M}.ctstate`, /expected \{ value: \[new\|established\|related\|untracked\|invalid, \.\.\.\] \}/],
    [`${R}.match[1].ctstate.value[1]`, /expected one of new, established, related, untracked, invalid, got "bogus"/],
  ]],
  // NAT rules.
  ['natType unknown', nat({ natType: 'nat' }), [[`${N}.natType`, /expected one of dnat, snat, masquerade, got "nat"/]]],
  ['snat in prerouting, dnat in postrouting', fwc({ chains: [natChain([{ name: 's', match: [], natType: 'snat', to: '10.0.0.1' }], { hook: 'prerouting' }), natChain([{ name: 'd', match: [], natType: 'dnat', to: '10.0.0.1' }], { name: 'm' })] }), [
    [`${N}.natType`, /snat is not valid at hook prerouting \(allowed: dnat\)/],
    ['spec.table.chains[1].rules.natRules[0].natType', /dnat is not valid at hook postrouting \(allowed: snat, masquerade\)/],
  ]],
  ['masquerade with a target, snat without one', fwc({ chains: [natChain([{ name: 'm', match: [], natType: 'masquerade', to: '10.0.0.1' }, { name: 's', match: [], natType: 'snat' }])] }), [
    [`${N}.to`, /expected no to for masquerade/],
    ['spec.table.chains[0].rules.natRules[1].to', /expected an address or CIDR for snat/],
  ]],
  ['snat to a range (Liqo emits no statement), to a CIDR with host bits', fwc({ chains: [natChain([{ name: 'a', match: [], natType: 'snat', to: '10.0.0.1-10.0.0.9' }, { name: 'b', match: [], natType: 'snat', to: '10.0.0.5/24' }])] }), [
    [`${N}.to`, /expected an address or CIDR \(no host bits\), got "10\.0\.0\.1-10\.0\.0\.9"/],
    ['spec.table.chains[0].rules.natRules[1].to', /got "10\.0\.0\.5\/24"/],
  ]],
  ['an IPv6 target in an IPV4 table', fwc({ chains: [natChain([{ name: 'a', match: [], natType: 'snat', to: '2001:db8::1' }])] }), [[`${N}.to`, /expected an IPv4 target in an IPV4 table/]]],
  ['an IPv4 target in an IPV6 table', nat({ natType: 'dnat', to: '10.0.0.1' }, { hook: 'prerouting' }, { family: 'IPV6' }), [[`${N}.to`, /expected an IPv6 target in an IPV6 table/]]],
  ['a NAT rule with a counter field', nat({ natType: 'masquerade', counter: true }), [[`${N}.counter`, /unknown field 'counter' \(expected one of name, match, natType, to, targetRef\)/]]],
  ['a route rule with more than a name', fwc({ chains: [{ name: 'r', type: 'route', hook: 'output', policy: 'accept', rules: { routeRules: [{ name: 'x', action: 'accept' }] } }] }), [['spec.table.chains[0].rules.routeRules[0].action', /unknown field 'action' \(expected one of name\)/]]],
  // Sets.
  ['sets not a list', withSets({ name: 's' }), [['spec.table.sets', /expected a list/]]],
  ['duplicate set names, an unknown key type, an unknown data type', withSets([
    { name: 's', keyType: 'ipv4_addr' },
    { name: 's', keyType: 'ipv4_addr' },
    { name: 'k', keyType: 'integer', dataType: 'string' },
  ]), [
    ['spec.table.sets[1].name', /duplicate set name 's'/],
    ['spec.table.sets[2].keyType', /expected one of ipv4_addr, ipv4_cidr, ipv6_addr, ipv6_cidr, inet_service, got "integer"/],
    ['spec.table.sets[2].dataType', /expected one of verdict, mark, ipv4_addr, inet_service, got "string"/],
  ]],
  ['set elements: a bad address, a prefix in a non-interval set, a misspelt field', withSets([{ name: 's', keyType: 'ipv4_addr', elements: [{ key: '10.0.0.300' }, { key: '10.0.0.0/24' }, { key: '10.0.0.1', value: 'x' }] }]), [
    ['spec.table.sets[0].elements[0].key', /expected an IPv4 address, CIDR or range/],
    ['spec.table.sets[0].elements[1].key', /expected a single value for keyType ipv4_addr \(use ipv4_cidr for prefixes and ranges\)/],
    ['spec.table.sets[0].elements[2].value', /unknown field 'value' \(expected one of key, data\)/],
  ]],
  ['set elements: data without a dataType, a map element without data', withSets([
    { name: 's', keyType: 'ipv4_addr', elements: [{ key: '10.0.0.1', data: 'accept' }] },
    { name: 'm', keyType: 'ipv4_addr', dataType: 'verdict', elements: [{ key: '10.0.0.1' }] },
  ]), [
    ['spec.table.sets[0].elements[0].data', /expected no data: the set has no dataType/],
    ['spec.table.sets[1].elements[0].data', /expected data: the set has a dataType/],
  ]],
  // Field checks that mirror what the transaction or the kernel refuses.
  ['map data not of the dataType', withSets([{ name: 'm', keyType: 'ipv4_addr', dataType: 'ipv4_addr', elements: [{ key: '10.0.0.1', data: 'nope' }] }]), [
    ['spec.table.sets[0].elements[0].data', /expected an IPv4 address.*got "nope"/],
  ]],
  ['map data that is a prefix, a mark that is not a number', withSets([
    { name: 'a', keyType: 'ipv4_addr', dataType: 'ipv4_addr', elements: [{ key: '10.0.0.1', data: '10.0.0.0/24' }] },
    { name: 'm', keyType: 'ipv4_addr', dataType: 'mark', elements: [{ key: '10.0.0.1', data: 'x' }] },
  ]), [
    ['spec.table.sets[0].elements[0].data', /expected a single ipv4_addr value \(map data cannot be a prefix or range\), got "10\.0\.0\.0\/24"/],
    ['spec.table.sets[1].elements[0].data', /got "x"/],
  ]],
  ['verdict map data: not a verdict, a jump (base chains cannot be jump targets), not a string', withSets([
    { name: 'm', keyType: 'ipv4_addr', dataType: 'verdict', elements: [{ key: '10.0.0.1', data: 'bogus' }, { key: '10.0.0.2', data: 'jump c' }, { key: '10.0.0.3', data: { jump: 'c' } }] },
  ]), [
    ['spec.table.sets[0].elements[0].data', /expected a verdict: accept, drop, continue or return, got "bogus"/],
    ['spec.table.sets[0].elements[1].data', /got "jump c"/],
    ['spec.table.sets[0].elements[2].data', /got \{"jump":"c"\}/],
  ]],
  ['an IPv4 address match in an IPV6 table', match({ ip: { value: '10.0.0.1', position: 'src' } }, { family: 'IPV6' }), [[`${M}.ip.value`, /expected an IPv6 address, CIDR, range or set in an IPV6 table, got "10\.0\.0\.1"/]]],
  ['an IPv6 range in an IPV4 table', match({ ip: { value: '2001:db8::1-2001:db8::9', position: 'dst' } }), [[`${M}.ip.value`, /expected an IPv4 address, CIDR, range or set in an IPV4 table/]]],
  ['an address match in an ARP table', fwc({ family: 'ARP', chains: [filterChain([{ name: 'r', match: [{ op: 'eq', ip: { value: '10.0.0.1', position: 'src' } }], action: 'accept' }], { hook: 'input' })] }), [
    [`${M}.ip.value`, /expected no address match in an ARP table/],
  ]],
  ['an IPv6 set matched in an IPV4 table', withSets([{ name: 's6', keyType: 'ipv6_cidr', elements: [{ key: '2001:db8::/32' }] }], { ip: { value: '@s6', position: 'src' } }), [
    [`${M}.ip.value`, /expected an IPv4 address, CIDR, range or set in an IPV4 table, set 's6' holds IPv6 addresses/],
  ]],
  ['INET: IPv4 and IPv6 address matches in one rule', filter({ match: [{ op: 'eq', ip: { value: '10.0.0.1', position: 'src' } }, { op: 'eq', ip: { value: '2001:db8::1', position: 'dst' } }] }, { family: 'INET' }), [
    [`${R}.match[1].ip.value`, /expected an IPv4 value: match\[0\] already matches IPv4 and one rule cannot match both/],
  ]],
  ['INET: an IPv6 match and a NAT target of IPv4 (the NAT would never apply)', nat({ match: [{ op: 'eq', ip: { value: '2001:db8::/32', position: 'src' } }], natType: 'snat', to: '10.0.0.1' }, {}, { family: 'INET' }), [
    [`${N}.to`, /expected an IPv6 target: the rule matches IPv6 at match\[0\]/],
  ]],
  ['ct in an ARP table: a ctstate match, ctmark, metamarkfromctmark (EPROTO from the kernel)', fwc({ family: 'ARP', chains: [filterChain([
    { name: 'a', match: [{ op: 'eq', ctstate: { value: ['new'] } }], action: 'accept' },
    { name: 'b', match: [], action: 'ctmark', value: '1' },
    { name: 'c', match: [], action: 'metamarkfromctmark' },
  ], { hook: 'input' })] }), [
    [`${M}.ctstate`, /expected no ctstate match in an ARP table/],
    ['spec.table.chains[0].rules.filterRules[1].action', /expected no ctmark in an ARP table/],
    ['spec.table.chains[0].rules.filterRules[2].action', /expected no metamarkfromctmark in an ARP table/],
  ]],
  ['reject: an unknown code (with a hint), icmp in an IPV6 table, icmpx in an IPV4 table', fwc({ chains: [filterChain([
    { name: 'a', match: [], action: 'reject', value: 'icmp bogus' },
    { name: 'b', match: [], action: 'reject', value: 'icmp host-unreachabel' },
    { name: 'c', match: [], action: 'reject', value: 'icmpx admin-prohibited' },
  ])] }), [
    [`${R}.value`, /unknown icmp code "bogus" \(expected one of net-unreachable, host-unreachable/],
    ['spec.table.chains[0].rules.filterRules[1].value', /did you mean 'host-unreachable'\?/],
    ['spec.table.chains[0].rules.filterRules[2].value', /expected 'icmp <code>' or 'tcp reset' in an IPV4 table \(icmpx is for INET and BRIDGE tables\)/],
  ]],
  ['reject with icmp in an IPV6 table', filter({ action: 'reject', value: 'icmp host-unreachable' }, { family: 'IPV6' }, { hook: 'input' }), [
    [`${R}.value`, /expected 'icmpv6 <code>' or 'tcp reset' in an IPV6 table: reject with icmp answers IPv4 only/],
  ]],
  ['INET: reject with icmp after an IPv6 match; tcp reset after proto udp', fwc({ family: 'INET', chains: [filterChain([
    { name: 'a', match: [{ op: 'eq', ip: { value: '2001:db8::1', position: 'src' } }], action: 'reject', value: 'icmp host-unreachable' },
    { name: 'b', match: [{ op: 'eq', proto: { value: 'udp' } }], action: 'reject', value: 'tcp reset' },
  ])] }), [
    [`${R}.value`, /reject with icmp answers IPv4 only, and the rule matches IPv6 at match\[0\]/],
    ['spec.table.chains[0].rules.filterRules[1].value', /expected no 'tcp reset': the rule matches proto udp at match\[0\]/],
  ]],
  ['reject in an ARP table', fwc({ family: 'ARP', chains: [filterChain([{ name: 'r', match: [], action: 'reject' }], { hook: 'input' })] }), [
    [`${R}.action`, /expected no reject in an ARP table/],
  ]],
  ['reject in a BRIDGE forward chain (nft_reject_bridge allows prerouting and input)', filter({ action: 'reject' }, { family: 'BRIDGE' }), [
    [`${R}.action`, /the kernel allows reject in BRIDGE tables only in prerouting, input chains, not forward/],
  ]],
  ['tcpmssclamp to the route MTU in an input chain (EOPNOTSUPP from the kernel)', fwc({ chains: [
    filterChain([{ name: 'r', match: [{ op: 'eq', proto: { value: 'tcp' } }], action: 'tcpmssclamp' }], { hook: 'input' }),
  ] }), [
    [`${R}.value`, /expected an MSS: the kernel allows the route MTU \(value 0 or absent\) only in forward, output, postrouting chains, not input/],
  ]],
  ['tcpmssclamp to the route MTU in a BRIDGE table', filter({ action: 'tcpmssclamp', value: '0', match: [{ op: 'eq', proto: { value: 'tcp' } }] }, { family: 'BRIDGE' }), [
    [`${R}.value`, /expected an MSS: the kernel has no route MTU \(value 0 or absent\) in BRIDGE tables/],
  ]],
  ['a label value that is not a string, under a key with a slash', fwc({}, { metadata: { name: 'x', labels: { a: 1, 'liqo.io/x': true } } }), [
    ['metadata.labels.a', /expected a string label value, got 1/],
    ['metadata.labels["liqo.io/x"]', /got true/],
  ]],
  ['unknown fields suggest the closest known name', fwc({ chains: [{ ...filterChain([{ name: 'r', match: [{ op: 'eq', ip: { value: '10.0.0.1', positon: 'src' } }], action: 'accept' }]), polcy: 'drop', policy: undefined }] }), [
    ['spec.table.chains[0].polcy', /unknown field 'polcy' \(expected one of name, type, hook, priority, policy, rules\) – did you mean 'policy'\?/],
    ['spec.table.chains[0].policy', /got undefined/],
    [`${M}.ip.positon`, /did you mean 'position'\?/],
    [`${M}.ip.position`, /got undefined/],
  ]],
  // The last line of defence: no field check covers it, the transaction refuses it.
  ['a port read as tcp after proto udp (one transport protocol per rule), reported by the transaction', filter({ match: [{ op: 'eq', proto: { value: 'udp' } }, { op: 'neq', proto: { value: 'tcp' }, port: { value: '80', position: 'dst' } }] }), [
    ['spec.table', /the nftkit transaction refuses the mapped table: Expected one transport protocol per rule/],
  ]],
]

describe('validate: invalid objects', () => {
  it.each(INVALID)('%s', (_name, obj, expected) => {
    const problems = validate(obj)
    expect(problems.map((p) => p.path)).toEqual(expected.map(([path]) => path))
    problems.forEach((p, i) => {
      expect(p.message).toMatch(expected[i][1])
    })
  })
})

/**
 * validate() promises "an empty list means it can be applied". These were
 * gaps a reviewer found (validate() -> [] but the transaction refused, or a
 * refusal the kernel does not make); each checks the transaction's verdict
 * and validate()'s field path for the same input.
 */
describe('validate agrees with the transaction', () => {
  const refusedByTransaction = (obj: unknown) => {
    const tx = new Transaction()
    for (const op of toOperations(obj as FirewallConfiguration)) tx.apply(op)
  }

  it('map data not of the dataType is refused at its field', () => {
    const obj = withSets([{ name: 'm', keyType: 'ipv4_addr', dataType: 'ipv4_addr', elements: [{ key: '10.0.0.1', data: 'nope' }] }])
    expect(refusedByTransaction.bind(null, obj)).toThrow(/elements\[0\]\.value/)
    expect(validate(obj).map((p) => p.path)).toEqual(['spec.table.sets[0].elements[0].data'])
  })

  it('verdict map data that is not a verdict is refused at its field', () => {
    const obj = withSets([{ name: 'm', keyType: 'ipv4_addr', dataType: 'verdict', elements: [{ key: '10.0.0.1', data: 'bogus' }] }])
    expect(refusedByTransaction.bind(null, obj)).toThrow(/verdict/)
    expect(validate(obj).map((p) => p.path)).toEqual(['spec.table.sets[0].elements[0].data'])
  })

  it('an IPv4 address match in an IPV6 table is refused', () => {
    const obj = match({ ip: { value: '10.0.0.1', position: 'src' } }, { family: 'IPV6' })
    expect(refusedByTransaction.bind(null, obj)).toThrow(/ip saddr needs ip/)
    expect(validate(obj).map((p) => p.path)).toEqual([`${M}.ip.value`])
  })

  it('an IPv6 address match in an IPV4 table is refused', () => {
    const obj = match({ ip: { value: '2001:db8::1', position: 'src' } })
    expect(refusedByTransaction.bind(null, obj)).toThrow(/ip6 saddr needs ip6/)
    expect(validate(obj).map((p) => p.path)).toEqual([`${M}.ip.value`])
  })

  it('an address match in an ARP table is refused', () => {
    const obj = match({ ip: { value: '10.0.0.1', position: 'src' } }, { family: 'ARP', chains: [filterChain([{ name: 'r', match: [{ op: 'eq', ip: { value: '10.0.0.1', position: 'src' } }], action: 'accept' }], { hook: 'input' })] })
    expect(refusedByTransaction.bind(null, obj)).toThrow(/arp table/)
    expect(validate(obj).map((p) => p.path)).toEqual([`${M}.ip.value`])
  })

  it('an IPv6 set matched in an IPV4 table is refused', () => {
    const obj = withSets([{ name: 's6', keyType: 'ipv6_cidr', elements: [{ key: '2001:db8::/32' }] }], { ip: { value: '@s6', position: 'src' } })
    expect(refusedByTransaction.bind(null, obj)).toThrow(/ip6 saddr needs ip6/)
    expect(validate(obj).map((p) => p.path)).toEqual([`${M}.ip.value`])
  })

  it('an unknown reject code, and icmp reject in an IPV6 table, are refused', () => {
    const bad = filter({ action: 'reject', value: 'icmp bogus' }, {}, { hook: 'input' })
    const v6 = filter({ action: 'reject', value: 'icmp host-unreachable' }, { family: 'IPV6' }, { hook: 'input' })
    expect(refusedByTransaction.bind(null, bad)).toThrow(/host-unreachable/)
    expect(refusedByTransaction.bind(null, v6)).toThrow(/reject with icmp needs ip/)
    expect(validate(bad).map((p) => p.path)).toEqual([`${R}.value`])
    expect(validate(v6).map((p) => p.path)).toEqual([`${R}.value`])
  })

  // nft_reject_validate allows NF_INET_PRE_ROUTING as well as input, forward
  // and output; checked with nft 1.0.6 on Linux 6.18 in a throwaway netns
  // (ip, ip6, inet: prerouting/input/forward/output accepted, postrouting
  // EOPNOTSUPP). Only postrouting is refused.
  it('reject in a prerouting chain is accepted, as the kernel does; postrouting is not', () => {
    for (const family of ['IPV4', 'IPV6', 'INET']) {
      expect(validate(filter({ action: 'reject' }, { family }, { hook: 'prerouting' }))).toEqual([])
      expect(validate(filter({ action: 'reject' }, { family }, { hook: 'postrouting' })).map((p) => p.path)).toEqual([`${R}.action`])
    }
  })

  it('a label value that is not a string is refused', () => {
    expect(validate(fwc({}, { metadata: { name: 'x', labels: { a: 1 } } })).map((p) => p.path)).toEqual(['metadata.labels.a'])
  })

  it('an unknown field suggests the closest known name', () => {
    const [p] = validate(fwc({ chains: [{ ...filterChain([]), polcy: 'drop', policy: undefined }] }))
    expect(p.message).toMatch(/did you mean 'policy'/)
  })
})

describe('toOperations: the mapping as nft text', () => {
  const text = (obj: unknown) => {
    expect(validate(obj)).toEqual([])
    const tx = new Transaction()
    for (const op of toOperations(obj as FirewallConfiguration)) tx.apply(op)
    return String(tx).split('\n')
  }

  it("Liqo's MSS-clamping manifest: proto before dev, counter before the SYN test, rt mtu for 0", () => {
    expect(text(fixture('gw-mssclamp.yaml')[0])).toEqual([
      'add table ip mss-clamping',
      'add chain ip mss-clamping mss-clamping { type filter hook forward priority filter; policy accept; }',
      'add rule ip mss-clamping mss-clamping meta l4proto tcp oifname "liqo-tunnel" counter tcp flags syn tcp option maxseg size set rt mtu comment "mss-clamping-out"',
    ])
  })

  it('neq is honoured on proto and port ranges, counter false drops the counter, ctmark and reject values', () => {
    const obj = fwc({ chains: [filterChain([
      { name: 'a', counter: false, match: [{ op: 'neq', proto: { value: 'udp' }, port: { value: '100-200', position: 'dst' } }], action: 'drop' },
      { name: 'b', match: [{ op: 'eq', ctstate: { value: ['established', 'related'] } }, { op: 'neq', ip: { value: '10.0.0.1 - 10.0.0.9', position: 'src' } }], action: 'ctmark', value: '7' },
      { name: 'c', match: [{ op: 'eq', port: { value: '8080', position: 'src' } }], action: 'reject', value: 'tcp reset' },
    ])] })
    expect(text(obj).slice(2)).toEqual([
      'add rule ip t c meta l4proto != udp udp dport != 100-200 drop comment "a"',
      'add rule ip t c ct state established,related ip saddr != 10.0.0.1-10.0.0.9 counter ct mark set 0x00000007 comment "b"',
      'add rule ip t c th sport 8080 counter reject with tcp reset comment "c"',
    ])
  })

  it('NAT: snat prefix, dnat to an address, masquerade; sets are added before the rules that use them', () => {
    const obj = fwc({
      sets: [{ name: 'src', keyType: 'ipv4_cidr', elements: [{ key: '10.70.0.0/16' }] }],
      chains: [
        natChain([{ name: 's', match: [{ op: 'eq', ip: { value: '@src', position: 'src' } }], natType: 'snat', to: '10.80.0.0/16' }, { name: 'm', match: [], natType: 'masquerade' }]),
        natChain([{ name: 'd', match: [{ op: 'eq', proto: { value: 'tcp' }, port: { value: '80', position: 'dst' } }], natType: 'dnat', to: '192.168.1.10' }], { name: 'pre', hook: 'prerouting', priority: -100 }),
      ],
    })
    expect(text(obj)).toEqual([
      'add table ip t',
      'add chain ip t n { type nat hook postrouting priority srcnat; policy accept; }',
      'add chain ip t pre { type nat hook prerouting priority dstnat; policy accept; }',
      'add set ip t src { type ipv4_addr; flags interval; elements = { 10.70.0.0/16 }; }',
      'add rule ip t n ip saddr @src snat prefix to 10.80.0.0/16 comment "s"',
      'add rule ip t n masquerade comment "m"',
      'add rule ip t pre meta l4proto tcp tcp dport 80 dnat to 192.168.1.10 comment "d"',
    ])
  })

  it('an IPv6 set in an INET table is matched with ip6 selectors; a verdict map becomes a map', () => {
    const obj = withSets(
      [{ name: 'v6', keyType: 'ipv6_addr', elements: [{ key: '2001:db8::1' }] }, { name: 'vm', keyType: 'ipv4_addr', dataType: 'verdict', elements: [{ key: '10.0.0.1', data: 'drop' }] }],
      { ip: { value: '@v6', position: 'dst' } },
      { family: 'INET' },
    )
    expect(text(obj).slice(2)).toEqual([
      'add set inet t v6 { type ipv6_addr; elements = { 2001:db8::1 }; }',
      'add map inet t vm { type ipv4_addr : verdict; elements = { 10.0.0.1 : drop }; }',
      'add rule inet t c ip6 daddr @v6 counter accept comment "r"',
    ])
  })
})
