/**
 * NetworkPolicy conformance on a real datapath: the upstream e2e cases and
 * cyclonus-style cases (test/testbed/netpol/cases.ts) are read, compiled and
 * reconciled into the testbed's node; then every pod probes every other pod
 * on ports 80 and 81 over TCP, UDP and SCTP, IPv4 and IPv6, and each probe is
 * compared with the independent oracle (loopback excluded, as upstream does).
 * The library's reading of the manifests is also checked against the test's
 * own: both must give the oracle the same answers.
 */
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listNamespaces } from '../testbed/exec.js'
import { NetpolBed, parseTarget, target } from '../testbed/netpol/bed.js'
import type { ProbeResult } from '../testbed/probe.js'
import { CASES } from '../testbed/netpol/cases.js'
import { clusterManifests, POD_KEYS, podIPv4, policy, toClusterState } from '../testbed/netpol/cluster.js'
import { checkMatrix, expected, mismatchLines, truthTables } from '../testbed/netpol/compare.js'
import { declared, Enforcer, loaded } from '../testbed/netpol/enforce.js'

let bed: NetpolBed
let enforcer: Enforcer
const t0 = performance.now()
const summary = { cases: 0, probes: 0, mismatches: 0, retried: 0, readerDisagreements: 0, failedCases: [] as string[] }

beforeAll(async () => {
  bed = await NetpolBed.build('npc')
  enforcer = new Enforcer(bed)
}, 60_000)

afterAll(async () => {
  await bed?.destroy()
  const seconds = ((performance.now() - t0) / 1000).toFixed(1)
  const text = [
    'NetworkPolicy conformance summary',
    `  cases: ${summary.cases} (of ${CASES.length})`,
    `  probes: ${summary.probes} (9 pods × 8 peers × ports 80, 81 × TCP, UDP, SCTP × IPv4, IPv6 per case)`,
    `  mismatches with the oracle: ${summary.mismatches}`,
    `  probes re-sent (blocked where the oracle allows): ${summary.retried}`,
    `  reader disagreements (library vs test reading of the manifests): ${summary.readerDisagreements}`,
    `  failed cases: ${summary.failedCases.length ? summary.failedCases.join(', ') : 'none'}`,
    `  wall time: ${seconds} s`,
  ].join('\n')
  console.log(text)
  writeFileSync(join(tmpdir(), 'nftkit-netpol-conformance.txt'), `${text}\n`)
})

describe('NetworkPolicy conformance (datapath, oracle-checked)', () => {
  it('the testbed: a node and nine pods named nftkit-t-npc-PID-RAND-*, no policy table, every probe open', async () => {
    expect(bed.namespaces().sort()).toEqual([bed.node, ...POD_KEYS.map((k) => bed.netnsOf(k))].sort())
    for (const n of bed.namespaces()) expect(n).toMatch(new RegExp(`^nftkit-t-npc-${process.pid}-[0-9a-f]{6}-(node|[xyz]-[abc])$`))
    expect(await listNamespaces()).toEqual(expect.arrayContaining(bed.namespaces()))
    const state = toClusterState(clusterManifests())
    const check = await checkMatrix(bed, state)
    expect(check.results.length).toBe(9 * 8 * 2 * 3 * 2)
    expect(check.results.every((r) => expected(state, r))).toBe(true)
    expect(mismatchLines(check.mismatches)).toBe('')
  })

  it('the probes see a hand-written table: drop to namespace x (both families) and SCTP to y/b over IPv4, nothing else', async () => {
    await bed.nft(
      [
        'table inet handmade {',
        '  chain pass {',
        '    type filter hook forward priority 0; policy accept;',
        '    ct state established,related accept',
        '    ip daddr 10.10.1.0/24 drop',
        '    ip6 daddr fd00:10:10:1::/64 drop',
        `    ip daddr ${podIPv4('y/b')} meta l4proto sctp drop`,
        '  }',
        '}',
      ].join('\n'),
    )
    try {
      const results = await bed.matrix()
      const blocked = (r: ProbeResult) => {
        const { pod, family } = parseTarget(r.to)
        return pod.startsWith('x/') || (pod === 'y/b' && family === 4 && r.proto === 'sctp')
      }
      expect(results.filter((r) => (r.outcome === 'open') === blocked(r)).map((r) => `${r.from} -> ${r.to} ${r.proto}/${r.port} ${r.outcome}`)).toEqual([])
      // to x: 3 pods × 8 sources × 2 ports × 3 protocols × 2 families; SCTP to y/b over IPv4: 8 sources × 2 ports
      expect(results.filter((r) => r.outcome !== 'open').length).toBe(3 * 8 * 12 + 8 * 2)
    } finally {
      await bed.nftCmd('delete', 'table', 'inet', 'handmade')
    }
  })

  for (const c of CASES) {
    it(`${c.name} — ${c.source}`, async () => {
      const manifests = [...clusterManifests(c.tweaks), ...c.policies]
      const oracleState = toClusterState(manifests)
      const { state: libState, declaration } = enforcer.apply(manifests, `${c.name}.yaml`)

      // loaded: `nft list ruleset` shows the table with the declared chains, sets and rules
      expect(await loaded(bed)).toEqual({ tables: 1, ...declared(declaration) })

      // Every case resolves its neighbours anew under its policies (IPv6 neighbour discovery must pass them).
      await bed.flushNeighbors()
      const check = await checkMatrix(bed, oracleState)
      const readerDiffs = check.results.filter((r) => expected(libState, r) !== expected(oracleState, r))
      summary.cases++
      summary.probes += check.results.length
      summary.mismatches += check.mismatches.length
      summary.retried += check.retried
      summary.readerDisagreements += readerDiffs.length
      const opened = check.results.filter((r) => expected(oracleState, r)).length
      if (check.mismatches.length || readerDiffs.length) {
        summary.failedCases.push(c.name)
        console.log(
          `case ${c.name}: ${check.mismatches.length} mismatches, ${readerDiffs.length} reader disagreements (${opened}/${check.results.length} allowed by the oracle)\n` +
            `${mismatchLines(check.mismatches)}\n\n${truthTables(oracleState, check.results)}`,
        )
      }
      expect(check.results.length).toBe(864)
      expect(readerDiffs.map((r) => `${r.from} -> ${r.to} ${r.proto}/${r.port}`)).toEqual([])
      expect(mismatchLines(check.mismatches)).toBe('')
    }, 30_000)
  }

  it('the node reaches every pod whatever the policies (kubelet probes): deny-all everywhere, node -> pods all open', async () => {
    const deny = ['x', 'y', 'z'].map((n) => policy(n, 'deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }))
    enforcer.apply([...clusterManifests(), ...deny])
    const specs = POD_KEYS.flatMap((to) =>
      ([4, 6] as const).flatMap((f) => (['tcp', 'udp', 'sctp'] as const).map((proto) => ({ from: 'node', to: target(to, f), proto, port: 80 }))),
    )
    const results = await bed.probe(specs)
    expect(results.filter((r) => r.outcome !== 'open').map((r) => `node -> ${r.to} ${r.proto}: ${r.outcome}`)).toEqual([])
    // and the pods really are isolated from each other meanwhile
    const pods = await bed.probe([{ from: 'x/a', to: 'y/a', proto: 'tcp', port: 80 }])
    expect(pods[0].outcome).not.toBe('open')
  })

  it('deleting every policy opens everything again', async () => {
    const manifests = clusterManifests()
    enforcer.apply(manifests)
    const check = await checkMatrix(bed, toClusterState(manifests))
    expect(mismatchLines(check.mismatches)).toBe('')
    expect(check.results.every((r) => r.outcome === 'open')).toBe(true)
  })
})
