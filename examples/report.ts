/**
 * How the demo shows its results: the connectivity matrix in the terminal
 * (coloured when stdout is a terminal) and as a self-contained HTML report.
 */
import type { RuleCounters } from '../lib/liqo/status.js'
import type { Cell } from '../test/testbed/scenario.js'
import type { Verdict } from '../test/testbed/expected.js'

const PROTOS = ['icmp', 'tcp', 'udp'] as const
const SYMBOL: Record<Verdict, string> = { allow: '✓', reject: 'R', drop: '·' }

/** Pods in matrix order (first appearance as source). */
function podsIn(cells: readonly Cell[]): string[] {
  const out: string[] = []
  for (const c of cells) for (const p of [c.from, c.to]) if (!out.includes(p)) out.push(p)
  return out
}

/**
 * The matrix as terminal text: one row per source pod, one column per
 * destination, three symbols per cell (ICMP, TCP, UDP): ✓ reached, R refused
 * (reject), · silence (drop). A cell that differs from the intended verdict is
 * shown inverted and counted below.
 */
export function matrixText(cells: readonly Cell[], color: boolean): string {
  const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s)
  const tone: Record<Verdict, string> = { allow: '32', reject: '33', drop: '31' }
  const pods = podsIn(cells)
  const w = Math.max(...pods.map((p) => p.length), 8)
  const at = new Map(cells.map((c) => [`${c.from} ${c.to} ${c.proto}`, c]))
  const lines = [`${'from \\ to'.padEnd(w)} │ ${pods.map((p) => p.padEnd(w)).join(' ')}`, `${'─'.repeat(w)}─┼─${'─'.repeat((w + 1) * pods.length)}`]
  let wrong = 0
  for (const from of pods) {
    const row = pods.map((to) => {
      if (from === to) return ' '.repeat(w)
      const sym = PROTOS.map((p) => {
        const c = at.get(`${from} ${to} ${p}`)
        if (!c) return ' '
        const bad = c.actual !== c.expected
        if (bad) wrong++
        return paint(bad ? `7;${tone[c.actual]}` : tone[c.actual], SYMBOL[c.actual])
      }).join('')
      return sym + ' '.repeat(w - 3)
    })
    lines.push(`${from.padEnd(w)} │ ${row.join(' ')}`)
  }
  lines.push(`(each cell: icmp tcp udp — ✓ reached, R refused at once (reject), · no answer (drop))`)
  lines.push(wrong === 0 ? paint('32', 'every cell is as intended') : paint('1;31', `${wrong} probe(s) differ from the intended verdict (shown inverted)`))
  return lines.join('\n')
}

/** Per-rule counters as aligned text. */
export function countersText(rows: readonly RuleCounters[]): string {
  const w = Math.max(...rows.map((r) => r.name.length), 4)
  return rows.map((r) => `     ${r.name.padEnd(w)}  ${String(r.packets).padStart(7)} packets ${String(r.bytes).padStart(9)} bytes`).join('\n')
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

function matrixHtml(cells: readonly Cell[]): string {
  const pods = podsIn(cells)
  const at = new Map(cells.map((c) => [`${c.from} ${c.to} ${c.proto}`, c]))
  const head = `<tr><th>from \\ to</th>${pods.map((p) => `<th>${esc(p)}</th>`).join('')}</tr>`
  const rows = pods.map((from) => {
    const tds = pods.map((to) => {
      if (from === to) return '<td class="self"></td>'
      const spans = PROTOS.map((p) => {
        const c = at.get(`${from} ${to} ${p}`)
        if (!c) return ''
        const title = `${p}: ${c.result.outcome}${c.result.icmp ? ` (icmp type ${c.result.icmp.type} code ${c.result.icmp.code})` : ''}; intended ${c.expected}`
        return `<span class="${c.actual}${c.actual !== c.expected ? ' wrong' : ''}" title="${esc(title)}">${SYMBOL[c.actual]}</span>`
      }).join('')
      return `<td>${spans}</td>`
    })
    return `<tr><th>${esc(from)}</th>${tds.join('')}</tr>`
  })
  return `<table class="matrix">${head}${rows.join('')}</table>`
}

/** Everything the HTML report shows. */
export interface ReportInput {
  readonly title: string
  readonly before: readonly Cell[]
  readonly after: readonly Cell[]
  readonly policies: readonly { where: string; text: string }[]
  readonly counters: readonly { where: string; rows: readonly RuleCounters[] }[]
  readonly move: readonly string[]
  /** The NetworkPolicy act: compact matrices (text), the table, a summary. */
  readonly netpol?: { readonly before: string; readonly after: string; readonly relabelled: string; readonly policies: string; readonly summary: readonly string[] }
  readonly ok: boolean
}

/** A self-contained HTML page (no scripts, no external resources). */
export function reportHtml(r: ReportInput): string {
  const counters = r.counters
    .map(
      (c) =>
        `<h3>${esc(c.where)}</h3><table class="counters"><tr><th>rule</th><th>packets</th><th>bytes</th></tr>${c.rows
          .map((x) => `<tr><td>${esc(x.name)}</td><td>${x.packets}</td><td>${x.bytes}</td></tr>`)
          .join('')}</table>`,
    )
    .join('')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
h1{margin-bottom:.2em} .ok{color:#17702f} .bad{color:#b00020}
table{border-collapse:collapse;margin:.5em 0 1.5em} th,td{border:1px solid #ccc;padding:.25em .5em;text-align:center}
th{background:#f4f4f4;font-weight:600} td.self{background:#eee}
.matrix span{display:inline-block;width:1.3em;font-family:monospace;font-weight:700;border-radius:3px}
.allow{color:#17702f}.reject{color:#9a6700}.drop{color:#b00020}.wrong{outline:2px solid #b00020;background:#fdd}
.counters td:first-child{text-align:left} pre{background:#f7f7f7;padding:1em;overflow:auto;border:1px solid #ddd}
</style></head><body>
<h1>${esc(r.title)}</h1>
<p class="${r.ok ? 'ok' : 'bad'}"><b>${r.ok ? 'The matrix after the policies is exactly the intended one.' : 'The matrix after the policies differs from the intended one (cells outlined).'}</b></p>
<p>Each cell shows ICMP, TCP and UDP from the row's pod to the column's pod, probed with real packets:
<span class="allow">✓</span> reached, <span class="reject">R</span> refused at once (reject: ICMP unreachable or TCP reset),
<span class="drop">·</span> no answer (drop). Hover a symbol for the raw outcome.</p>
<h2>Before the policies</h2>${matrixHtml(r.before)}
<h2>After the policies</h2>${matrixHtml(r.after)}
<h2>A pod moves</h2><ul>${r.move.map((m) => `<li>${esc(m)}</li>`).join('')}</ul>
<h2>Per-rule counters</h2>${counters}
<h2>Applied nftables rules</h2>${r.policies.map((p) => `<h3>${esc(p.where)}</h3><pre>${esc(p.text)}</pre>`).join('')}
${r.netpol ? netpolHtml(r.netpol) : ''}
</body></html>
`
}

function netpolHtml(n: NonNullable<ReportInput['netpol']>): string {
  return `<h2>NetworkPolicy on one node</h2>
<p>The cluster of the upstream Kubernetes e2e tests (namespaces x, y, z; pods a, b, c), NetworkPolicies compiled and kept by nftkit's
NetworkPolicyAgent, every probe compared with the NetworkPolicy v1 truth table (✓ open, · blocked, ! differs).</p>
<ul>${n.summary.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>
<h3>Before the policies</h3><pre class="netpol">${esc(n.before)}</pre>
<h3>After the policies</h3><pre class="netpol">${esc(n.after)}</pre>
<h3>After namespace z was labelled team=blue</h3><pre class="netpol">${esc(n.relabelled)}</pre>
<h3>The table</h3><pre>${esc(n.policies)}</pre>`
}
