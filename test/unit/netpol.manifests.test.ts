/**
 * The cluster-manifest reader: the API server's defaults, what is kept of
 * Pods, Namespaces and Nodes, and every refusal with its field path.
 */
import { describe, expect, it } from 'vitest'
import { NftValidationError } from '../../lib/kernel/errors.js'
import { isClusterKind, readClusterManifests } from '../../lib/netpol/manifests.js'
import { list, netpol, ns, pod } from '../helpers/netpol.js'

function refusal(docs: unknown[], file?: string): NftValidationError {
  try {
    readClusterManifests(docs, file)
  } catch (e) {
    if (e instanceof NftValidationError) return e
    throw e
  }
  throw new Error('expected an NftValidationError')
}

const policy = (spec: Record<string, unknown>) => [list(ns('x'), pod('x', 'a', ['10.0.0.1']), netpol('x', 'p', spec))]

describe('readClusterManifests: defaults and shapes', () => {
  it('reads a v1 List as kubectl prints it, skipping other kinds', () => {
    const s = readClusterManifests([
      list(
        ns('x', { team: 'a' }),
        pod('x', 'a', ['10.0.0.1', 'FD00:0::1'], { app: 'web' }, { ports: [{ name: 'http', containerPort: 80 }] }),
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: {} },
        { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { role: 'w' } }, status: { addresses: [{ type: 'InternalIP', address: '192.168.0.10' }, { type: 'Hostname', address: 'n1' }] } },
      ),
    ])
    expect(s.namespaces).toEqual([{ name: 'x', labels: { team: 'a', 'kubernetes.io/metadata.name': 'x' } }])
    expect(s.pods).toEqual([
      { namespace: 'x', name: 'a', labels: { app: 'web' }, ips: ['10.0.0.1', 'fd00::1'], nodeName: 'node-1', hostNetwork: false, ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }] },
    ])
    expect(s.nodes).toEqual([{ name: 'n1', labels: { role: 'w' }, ips: ['192.168.0.10'] }])
    expect(s.policies).toEqual([])
  })

  it('policyTypes: Ingress always, Egress only with egress rules; explicit types kept', () => {
    const types = (spec: Record<string, unknown>) => readClusterManifests(policy(spec)).policies[0].policyTypes
    expect(types({ podSelector: {} })).toEqual(['Ingress'])
    expect(types({ podSelector: {}, egress: [] })).toEqual(['Ingress'])
    expect(types({ podSelector: {}, egress: [{}] })).toEqual(['Ingress', 'Egress'])
    expect(types({ podSelector: {}, policyTypes: ['Egress'] })).toEqual(['Egress'])
  })

  it('protocol defaults to TCP, namespace to default; podIP stands in for podIPs', () => {
    const s = readClusterManifests([
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p' }, spec: { podSelector: {}, ingress: [{ ports: [{ port: 80 }, { protocol: 'UDP' }] }] } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'q' }, spec: {}, status: { podIP: '10.1.1.1' } },
    ])
    expect(s.policies[0].namespace).toBe('default')
    expect(s.policies[0].ingress[0].ports).toEqual([{ protocol: 'TCP', port: 80 }, { protocol: 'UDP' }])
    expect(s.pods[0]).toMatchObject({ namespace: 'default', ips: ['10.1.1.1'], hostNetwork: false })
  })

  it('ipBlock: host bits cleared as the API server does; except kept per peer', () => {
    const s = readClusterManifests(policy({ podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.1.2.3/16', except: ['10.1.2.0/24'] } }, { ipBlock: { cidr: '2001:db8::1/32' } }] }] }))
    expect(s.policies[0].ingress[0].peers).toEqual([{ ipBlock: { cidr: '10.1.0.0/16', except: ['10.1.2.0/24'] } }, { ipBlock: { cidr: '2001:db8::/32', except: [] } }])
  })

  it('ClusterNetworkPolicies pass through raw; isClusterKind tells cluster documents from others', () => {
    const cnp = { apiVersion: 'crd.antrea.io/v1beta1', kind: 'ClusterNetworkPolicy', metadata: { name: 'c' }, spec: { anything: 1 } }
    expect(readClusterManifests([cnp]).clusterPolicies).toEqual([cnp])
    expect(isClusterKind(cnp)).toBe(true)
    expect(isClusterKind(ns('x'))).toBe(true)
    expect(isClusterKind({ apiVersion: 'networking.liqo.io/v1beta1', kind: 'FirewallConfiguration' })).toBe(false)
    expect(isClusterKind(list(ns('x'), pod('x', 'a', [])))).toBe(true)
    expect(isClusterKind(list(ns('x'), { apiVersion: 'networking.liqo.io/v1beta1', kind: 'FirewallConfiguration' }))).toBe(false)
  })
})

describe('readClusterManifests: refusals name the field', () => {
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['an unknown spec field', { podSelector: {}, ingres: [] }, 'items[2].spec.ingres', /Unknown field 'ingres'/],
    ['an unknown rule field', { podSelector: {}, ingress: [{ form: [] }] }, 'items[2].spec.ingress[0].form', /Unknown field/],
    ['an unknown peer field', { podSelector: {}, ingress: [{ from: [{ podSelector: {}, nodeSelector: {} }] }] }, 'items[2].spec.ingress[0].from[0].nodeSelector', /Unknown field/],
    ['an empty peer', { podSelector: {}, ingress: [{ from: [{}] }] }, 'items[2].spec.ingress[0].from[0]', /Expected a peer/],
    ['ipBlock with a selector', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] }] }, 'items[2].spec.ingress[0].from[0]', /either ipBlock/],
    ['a bad operator', { podSelector: { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] } }, 'items[2].spec.podSelector.matchExpressions[0].operator', /In, NotIn/],
    ['In without values', { podSelector: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] } }, 'items[2].spec.podSelector.matchExpressions[0].values', /at least one value/],
    ['Exists with values', { podSelector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] } }, 'items[2].spec.podSelector.matchExpressions[0].values', /no values/],
    ['a bad label key', { podSelector: { matchLabels: { 'bad key': 'x' } } }, 'items[2].spec.podSelector.matchLabels.bad key', /label key/],
    ['a bad label value', { podSelector: { matchLabels: { app: '-x' } } }, 'items[2].spec.podSelector.matchLabels.app', /label value/],
    ['a label value too long', { podSelector: { matchLabels: { app: 'x'.repeat(64) } } }, 'items[2].spec.podSelector.matchLabels.app', /label value/],
    ['a bad expression value', { podSelector: { matchExpressions: [{ key: 'a', operator: 'In', values: ['ok', 'not ok'] }] } }, 'items[2].spec.podSelector.matchExpressions[0].values[1]', /label value/],
    ['a bad CIDR', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/33' } }] }] }, 'items[2].spec.ingress[0].from[0].ipBlock.cidr', /CIDR/],
    ['an address without prefix', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.1' } }] }] }, 'items[2].spec.ingress[0].from[0].ipBlock.cidr', /CIDR/],
    ['except outside the cidr', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.1.0/24', '10.1.0.0/24'] } }] }] }, 'items[2].spec.ingress[0].from[0].ipBlock.except[1]', /strict subset/],
    ['except equal to the cidr', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.0.0/16'] } }] }] }, 'items[2].spec.ingress[0].from[0].ipBlock.except[0]', /strict subset/],
    ['except of the other family', { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['fd00::/64'] } }] }] }, 'items[2].spec.egress[0].to[0].ipBlock.except[0]', /strict subset/],
    ['endPort without a port', { podSelector: {}, ingress: [{ ports: [{ endPort: 90 }] }] }, 'items[2].spec.ingress[0].ports[0].endPort', /numeric port/],
    ['endPort with a named port', { podSelector: {}, ingress: [{ ports: [{ port: 'http', endPort: 90 }] }] }, 'items[2].spec.ingress[0].ports[0].endPort', /named port/],
    ['endPort below port', { podSelector: {}, ingress: [{ ports: [{ port: 100, endPort: 90 }] }] }, 'items[2].spec.ingress[0].ports[0].endPort', /at least port 100/],
    ['port 0', { podSelector: {}, ingress: [{ ports: [{ port: 0 }] }] }, 'items[2].spec.ingress[0].ports[0].port', /1-65535/],
    ['port 65536', { podSelector: {}, egress: [{ ports: [{ port: 65536 }] }] }, 'items[2].spec.egress[0].ports[0].port', /1-65535/],
    ['a numeric string port', { podSelector: {}, ingress: [{ ports: [{ port: '80' }] }] }, 'items[2].spec.ingress[0].ports[0].port', /port name/],
    ['a named port too long', { podSelector: {}, ingress: [{ ports: [{ port: 'a-very-long-port-name' }] }] }, 'items[2].spec.ingress[0].ports[0].port', /port name/],
    ['a bad protocol', { podSelector: {}, ingress: [{ ports: [{ protocol: 'ICMP', port: 1 }] }] }, 'items[2].spec.ingress[0].ports[0].protocol', /TCP, UDP or SCTP/],
    ['a bad policy type', { podSelector: {}, policyTypes: ['Ingress', 'ingress'] }, 'items[2].spec.policyTypes[1]', /Ingress or Egress/],
    ['a repeated policy type', { podSelector: {}, policyTypes: ['Egress', 'Egress'] }, 'items[2].spec.policyTypes', /at most once/],
    ['a list where an object belongs', { podSelector: [] }, 'items[2].spec.podSelector', /an object/],
  ]
  for (const [what, spec, path, reason] of cases)
    it(`${what}: ${path}`, () => {
      const e = refusal(policy(spec))
      expect(e.path).toBe(path)
      expect(e.message).toMatch(reason)
    })

  it('pods: bad addresses, ports and container port names', () => {
    expect(refusal([list(pod('x', 'a', ['10.0.0.256']))]).path).toBe('items[0].status.podIPs[0].ip')
    expect(refusal([list(pod('x', 'a', ['10.0.0.1'], {}, { ports: [{ containerPort: 0 }] }))]).path).toBe('items[0].spec.containers[0].ports[0].containerPort')
    expect(refusal([list(pod('x', 'a', ['10.0.0.1'], {}, { ports: [{ name: 'HTTP', containerPort: 80 }] }))]).path).toBe('items[0].spec.containers[0].ports[0].name')
    expect(refusal([list(pod('x', 'a', ['10.0.0.1'], { 'a/b/c': 'x' }))]).path).toBe('items[0].metadata.labels.a/b/c')
  })

  it('objects: the wrong apiVersion, no kind, a name declared twice, several documents', () => {
    expect(refusal([{ apiVersion: 'extensions/v1beta1', kind: 'NetworkPolicy', metadata: { name: 'p' }, spec: {} }]).path).toBe('(document).apiVersion')
    expect(refusal([ns('x'), { metadata: {} }]).path).toBe('documents[1]')
    const twice = refusal([list(ns('x'), ns('x'))])
    expect(twice.path).toBe('items[1].metadata.name')
    expect(twice.message).toMatch(/declared twice/)
    expect(refusal([ns('x'), list(ns('y'), netpol('y', 'p', { podSelector: {}, bogus: 1 }))]).path).toBe('documents[1].items[1].spec.bogus')
    expect(refusal([list(ns('Bad_Name'))]).path).toBe('items[0].metadata.name')
  })

  it('the file is named in the message', () => {
    expect(refusal(policy({ podSelector: {}, ingres: [] }), 'cluster.yaml').message).toMatch(/^cluster\.yaml: /)
  })

  it('a list claiming more entries than the bound is refused before it is read', () => {
    const huge = { apiVersion: 'v1', kind: 'List', items: new Array(2 ** 24 + 1) }
    expect(refusal([huge]).path).toBe('items')
  })
})
