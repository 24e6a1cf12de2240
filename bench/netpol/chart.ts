/**
 * The connection-rate chart of `bench/netpol-rate.ts` as a self-contained SVG:
 * connections per second (y) against the number of policies (x, log scale),
 * one line per variant, the no-ruleset floor as a dashed line.
 * @module
 */

/** One measured point: a variant at n policies. */
export interface RatePoint {
  readonly variant: string
  readonly n: number
  readonly rate: number
  readonly p50: number
}

const COLORS: Record<string, string> = { linear: '#d62728', nftkit: '#1f77b4', none: '#7f7f7f' }

/** An SVG line chart of the points (the `none` variant drawn as a dashed reference line). */
export function connRateChart(points: readonly RatePoint[], title = 'TCP connections/s through the forward hook'): string {
  const W = 640
  const H = 360
  const L = 70
  const R = 130
  const T = 40
  const B = 50
  const ns = [...new Set(points.filter((p) => p.variant !== 'none').map((p) => p.n))].sort((a, b) => a - b)
  const maxRate = Math.max(...points.map((p) => p.rate)) * 1.1
  const lo = Math.log10(ns[0] ?? 1)
  const hi = Math.log10(ns[ns.length - 1] ?? 10)
  const x = (n: number) => L + ((Math.log10(n) - lo) / (hi - lo || 1)) * (W - L - R)
  const y = (r: number) => T + (1 - r / maxRate) * (H - T - B)
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<title>${title}</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${title}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">policies selecting the server pod (log scale)</text>`,
    `<text x="16" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(T + H - B) / 2})">connections/s</text>`,
  ]
  for (const n of ns) out.push(`<text x="${x(n)}" y="${H - B + 16}" text-anchor="middle">${n}</text>`)
  for (let i = 0; i <= 4; i++) {
    const r = (maxRate / 4) * i
    out.push(`<line x1="${L - 4}" y1="${y(r)}" x2="${W - R}" y2="${y(r)}" stroke="#eee"/>`)
    out.push(`<text x="${L - 8}" y="${y(r) + 4}" text-anchor="end">${Math.round(r)}</text>`)
  }
  const floor = points.find((p) => p.variant === 'none')
  if (floor) {
    out.push(`<line x1="${L}" y1="${y(floor.rate)}" x2="${W - R}" y2="${y(floor.rate)}" stroke="${COLORS.none}" stroke-dasharray="6 4"/>`)
    out.push(`<text x="${W - R + 8}" y="${y(floor.rate) + 4}" fill="${COLORS.none}">no ruleset</text>`)
  }
  for (const variant of [...new Set(points.map((p) => p.variant))].filter((v) => v !== 'none')) {
    const pts = points.filter((p) => p.variant === variant).sort((a, b) => a.n - b.n)
    const color = COLORS[variant] ?? 'black'
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${x(p.n)},${y(p.rate)}`).join(' ')}"/>`)
    for (const p of pts) out.push(`<circle cx="${x(p.n)}" cy="${y(p.rate)}" r="3.5" fill="${color}"><title>${variant}, ${p.n} policies: ${p.rate}/s, p50 ${p.p50.toFixed(1)} µs</title></circle>`)
    const last = pts[pts.length - 1]
    if (last) out.push(`<text x="${W - R + 8}" y="${y(last.rate) + 4}" fill="${color}">${variant === 'linear' ? 'linear rule list' : variant}</text>`)
  }
  out.push('</svg>')
  return `${out.join('\n')}\n`
}
