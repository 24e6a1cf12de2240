/**
 * `npm run demo`: provider protection end to end, in sandbox network
 * namespaces (the host's ruleset is never touched).
 *
 * 1. Builds the testbed: two consumer clusters, their gateways into a shared
 *    provider, and pods, all from veth pairs.
 * 2. Probes every pod pair with ICMP, TCP and UDP before any policy.
 * 3. Applies the generated FirewallConfigurations through nftkit (one
 *    GatewayAgent per gateway) and the NetworkPolicy stand-in.
 * 4. Probes again and compares with the intended matrix.
 * 5. Moves one pod (new IP) while traffic flows: one batch closes the old IP
 *    and opens the new one.
 * 6. Prints the per-rule counters.
 * 7. NetworkPolicy act (`netpol-act.ts`): the upstream e2e cluster on one
 *    node, policies enforced by NetworkPolicyAgent, matrices before and after
 *    checked against the NetworkPolicy v1 truth table, a live relabel.
 * Then writes an HTML report and removes every namespace it made.
 *
 * Exit code 0 only if the matrix after the policies is exactly the intended
 * one, the move behaved and every NetworkPolicy probe matched the truth table. Options: `--report FILE` (default
 * ./nftkit-demo-report.html).
 */
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { monotonicMs, Testbed, verdictOf } from '../test/testbed/index.js'
import { SAMPLE_INVENTORY } from '../test/testbed/sample-inventory.js'
import { Deployment, mismatches, policyText, probeMatrix } from '../test/testbed/scenario.js'
import { netpolAct } from './netpol-act.js'
import { countersText, matrixText, reportHtml } from './report.js'

const args = process.argv.slice(2)
const at = args.indexOf('--report')
const reportPath = resolve(at >= 0 && args[at + 1] ? args[at + 1] : 'nftkit-demo-report.html')
const tty = process.stdout.isTTY
const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s)
const step = (s: string) => console.log(`\n${bold(s)}`)

async function main(): Promise<number> {
  const inv = SAMPLE_INVENTORY
  step('1. building the testbed in sandbox network namespaces')
  const t0 = performance.now()
  const tb = await Testbed.build(inv, { prefix: `nftkit-demo-${process.pid}-` })
  let dep: Deployment | undefined
  const made = tb.namespaces().length
  try {
    console.log(`   ${tb.namespaces().length} namespaces in ${(performance.now() - t0).toFixed(0)} ms:`)
    for (const c of inv.consumers)
      console.log(
        `   ${c.name}: home pods ${c.local.flatMap((n) => n.pods.map((p) => `${p.name} ${p.ip}`)).join(', ')}; offloaded ${c.offloaded.flatMap((n) => n.pods.map((p) => `${p.name} ${p.ip}`)).join(', ')}; tunnel ${c.gateway.tunnelInterface}`,
      )
    console.log(`   provider-local: ${inv.provider.namespaces.flatMap((n) => n.pods.map((p) => `${p.name} ${p.ip}`)).join(', ')}`)

    step('2. connectivity before the policies (real packets)')
    const before = await probeMatrix(tb, inv, 'open')
    console.log(matrixText(before, tty))

    step('3. applying the generated FirewallConfigurations through nftkit')
    const t1 = performance.now()
    dep = new Deployment(tb, inv)
    console.log(`   ${inv.consumers.length} gateways + the NetworkPolicy stand-in on the provider router, one atomic batch each, in ${(performance.now() - t1).toFixed(1)} ms`)
    for (const p of policyText(inv).slice(0, 1)) console.log(`   ${p.where}:\n${p.text.replace(/^/gm, '     ')}`)

    step('4. connectivity after the policies (intended: consumers reach only their own offloaded pods)')
    const after = await probeMatrix(tb, inv, 'protected')
    console.log(matrixText(after, tty))
    const wrong = mismatches(after)

    step('5. a pod moves: a-web-2 is rescheduled with a new IP while a-client keeps probing it')
    const oldIp = '10.200.1.11'
    const newIp = '10.200.1.13'
    const stream = tb.stream(
      'a-client',
      [
        { to: oldIp, proto: 'tcp' },
        { to: newIp, proto: 'tcp' },
      ],
      { intervalMs: 20, timeoutMs: 300 },
    )
    await new Promise((r) => setTimeout(r, 250))
    await tb.removePod('a-web-2')
    await tb.addPod({ kind: 'offloaded', consumer: 'consumer-a', namespace: 'a-web' }, { name: 'a-web-2', ip: newIp })
    const c0 = monotonicMs()
    const sync = dep.sync(tb.inventory)
    const c1 = monotonicMs()
    await new Promise((r) => setTimeout(r, 250))
    const timeline = await stream.stop()
    const gw = sync.gateways.get('consumer-a')
    const fresh = timeline.filter((r) => r.ip === newIp)
    const old = timeline.filter((r) => r.ip === oldIp)
    // A probe's send time is taken just before its syscall, which a busy machine
    // may run later: "before the commit" means its outcome arrived before it.
    const early = fresh.filter((r) => r.sent + r.ms < c0)
    const openBefore = early.filter((r) => verdictOf(r) === 'allow').length
    const openAfter = fresh.filter((r) => r.sent > c1 + 5 && verdictOf(r) === 'allow').length
    const after1 = fresh.filter((r) => r.sent > c1 + 5).length
    const oldOpenAfter = old.filter((r) => r.sent > c1 && verdictOf(r) === 'allow').length
    const move = [
      `gateway of consumer-a: ${gw?.mode} update, ${gw?.messages} netlink messages in one batch (delete ${oldIp}, add ${newIp}), the whole inventory sync (both gateways and the NetworkPolicy sets) took ${(c1 - c0).toFixed(2)} ms`,
      `new IP ${newIp}: ${early.length} probes before the commit, ${openBefore} got through; ${after1} after, ${openAfter} got through`,
      `old IP ${oldIp}: ${old.filter((r) => r.sent > c1).length} probes after the commit, ${oldOpenAfter} got through`,
    ]
    for (const m of move) console.log(`   ${m}`)
    const moveOk = gw?.mode === 'delta' && gw.messages === 4 && openBefore === 0 && after1 > 0 && openAfter === after1 && oldOpenAfter === 0

    step('6. per-rule counters (read back through nftkit)')
    const counters = [
      ...inv.consumers.map((c) => ({ where: `gateway of ${c.name}`, rows: dep?.gatewayCounters(c.name) ?? [] })),
      { where: 'provider router (NetworkPolicy stand-in)', rows: dep.cniCounters() },
    ]
    for (const c of counters) console.log(`   ${c.where}:\n${countersText(c.rows)}`)

    step('7. NetworkPolicy: the upstream e2e cluster on one node, enforced by nftkit (a second sandbox)')
    const netpol = await netpolAct(`nftkit-demo-${process.pid}-np-`, console.log)

    const ok = wrong.length === 0 && moveOk && netpol.ok
    writeFileSync(
      reportPath,
      reportHtml({ title: 'nftkit demo: provider protection and NetworkPolicy', before, after, policies: policyText(tb.inventory), counters, move, netpol, ok }),
    )
    step(`report: ${reportPath}`)
    if (wrong.length) for (const c of wrong) console.log(`   ${c.from} -> ${c.to} ${c.proto}: intended ${c.expected}, got ${c.result.outcome}`)
    if (!moveOk) console.log('   the pod move did not behave as intended (see step 5)')
    if (!netpol.ok) console.log('   the NetworkPolicy matrix differs from the truth table (see step 7)')
    console.log(ok ? bold('result: every probe matched the intended policy') : bold('result: MISMATCH'))
    return ok ? 0 : 1
  } finally {
    dep?.close()
    await tb.destroy()
    console.log(`\nremoved the ${made} sandbox namespaces; the host ruleset was never touched.`)
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e)
    process.exit(1)
  },
)
