/**
 * `--networkpolicies`: the controller watches Namespaces, Pods and
 * NetworkPolicies of the stand-in and keeps the NetworkPolicy compiler's
 * table in the namespace's kernel: a new peer pod is an element delta, a
 * removed policy changes the table, FirewallConfigurations are applied beside
 * it, and a manifest the reader refuses leaves the kernel as it was.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { type KubeObject, fwc } from '../helpers/apiserver.js'
import { makeRig, type Rig } from '../helpers/controller.js'
import { until } from '../helpers/wait.js'

const ns = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } })
const pod = (name: string, ip: string, labels: Record<string, string>, node = 'n1'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'app', labels },
  spec: { nodeName: node, containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80, protocol: 'TCP' }] }] },
  status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
})
const policy: KubeObject = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'web-from-clients', namespace: 'app' },
  spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: 80, protocol: 'TCP' }] }] },
}

let rig: Rig | undefined
afterEach(async () => {
  await rig?.close()
  rig = undefined
})

describe('controller --networkpolicies', () => {
  it('enforces the cluster\'s NetworkPolicies beside the FirewallConfigurations and follows pods and policies', async () => {
    rig = await makeRig('ctl-np', { networkPolicies: { node: 'n1' } }, false)
    const { api } = rig
    api.create(ns('app'))
    api.create(pod('web', '10.0.0.2', { app: 'web' }))
    api.create(pod('client', '10.0.0.3', { role: 'client' }))
    api.create(policy)
    api.create(fwc('a', 'ta', [22]))
    await rig.ctl.start()
    expect(await until(() => rig!.tables().includes('inet nftkit-netpol') && rig!.tables().includes('ip ta'), 15_000)).toBe(true)
    const text = rig.ns.ruleset()
    expect(text).toContain('10.0.0.3')
    expect(text).toContain('10.0.0.2')
    const handles = () => rig!.ctl.client!.listSync({ table: 'nftkit-netpol' }).rules.map((r) => `${r.chain} ${r.comment} ${r.handle}`).sort()
    const before = handles()
    // A new peer: only set elements change, every rule keeps its handle.
    api.create(pod('client2', '10.0.0.4', { role: 'client' }, 'n2'))
    expect(await until(() => rig!.ns.ruleset().includes('10.0.0.4'), 10_000)).toBe(true)
    expect(handles()).toEqual(before)
    // A manifest the reader refuses: logged, the kernel keeps what it had.
    const kept = rig.ns.ruleset()
    api.create({ ...policy, metadata: { name: 'bad', namespace: 'app' }, spec: { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/33' } }] }] } })
    expect(await until(() => rig!.logs.some((l) => l.msg === 'network policies not applied'), 10_000)).toBe(true)
    expect(rig.ns.ruleset()).toBe(kept)
    api.delete('app', 'bad', 'networkpolicies')
    // The policy goes: its rules go.
    api.delete('app', 'web-from-clients', 'networkpolicies')
    expect(await until(() => !rig!.ns.ruleset().includes('10.0.0.3'), 10_000)).toBe(true)
    expect(rig.tables()).toContain('ip ta')
    expect(rig.api.calls.filter((c) => c.verb === 'list').map((c) => c.path).sort()).toEqual([
      '/api/v1/namespaces',
      '/api/v1/pods',
      '/apis/networking.k8s.io/v1/networkpolicies',
      '/apis/networking.liqo.io/v1beta1/firewallconfigurations',
    ])
  })
})
