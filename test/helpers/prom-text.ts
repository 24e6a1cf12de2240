/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4)
 * for tests: every line must be a HELP, a TYPE or a sample of a declared
 * family, label values must be escaped right, and no series may repeat.
 */

/** One sample: metric name, labels and value. */
export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

/** A parsed exposition: samples in order and each family's TYPE. */
export interface Exposition {
  readonly samples: readonly Sample[]
  readonly types: ReadonlyMap<string, string>
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created']

/** Parses `text`; throws with the line number on anything the format does not allow. */
export function parseExposition(text: string): Exposition {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline')
  const samples: Sample[] = []
  const types = new Map<string, string>()
  const seen = new Set<string>()
  const lines = text.slice(0, -1).split('\n')
  lines.forEach((line, i) => {
    const where = `line ${i + 1}: ${line}`
    if (line === '') return
    if (line.startsWith('# HELP ')) {
      if (!NAME.test(line.slice(7).split(' ')[0])) throw new Error(`bad HELP, ${where}`)
      return
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type, extra] = line.slice(7).split(' ')
      if (!NAME.test(name) || !['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type) || extra !== undefined) throw new Error(`bad TYPE, ${where}`)
      if (types.has(name)) throw new Error(`second TYPE for ${name}, ${where}`)
      types.set(name, type)
      return
    }
    if (line.startsWith('#')) return
    const s = sample(line, where)
    const family = types.has(s.name) ? s.name : SUFFIXES.map((x) => (s.name.endsWith(x) ? s.name.slice(0, -x.length) : '')).find((f) => f && types.has(f))
    if (!family) throw new Error(`sample of an undeclared family, ${where}`)
    const key = `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`
    if (seen.has(key)) throw new Error(`repeated series, ${where}`)
    seen.add(key)
    samples.push(s)
  })
  return { samples, types }
}

function sample(line: string, where: string): Sample {
  let i = 0
  while (i < line.length && line[i] !== '{' && line[i] !== ' ') i++
  const name = line.slice(0, i)
  if (!NAME.test(name)) throw new Error(`bad metric name, ${where}`)
  const labels: Record<string, string> = {}
  if (line[i] === '{') {
    i++
    while (line[i] !== '}') {
      const eq = line.indexOf('=', i)
      if (eq < 0) throw new Error(`bad label, ${where}`)
      const label = line.slice(i, eq)
      if (!LABEL.test(label) || Object.hasOwn(labels, label)) throw new Error(`bad or repeated label ${label}, ${where}`)
      if (line[eq + 1] !== '"') throw new Error(`unquoted label value, ${where}`)
      let j = eq + 2
      let v = ''
      for (;;) {
        const c = line[j]
        if (c === undefined) throw new Error(`unterminated label value, ${where}`)
        if (c === '"') break
        if (c === '\\') {
          const e = line[j + 1]
          if (e === 'n') v += '\n'
          else if (e === '\\' || e === '"') v += e
          else throw new Error(`bad escape \\${e}, ${where}`)
          j += 2
          continue
        }
        v += c
        j++
      }
      labels[label] = v
      i = j + 1
      if (line[i] === ',') i++
      else if (line[i] !== '}') throw new Error(`expected , or } after a label, ${where}`)
    }
    i++
  }
  if (line[i] !== ' ') throw new Error(`expected a space before the value, ${where}`)
  const parts = line.slice(i + 1).split(' ')
  if (parts.length > 2) throw new Error(`extra fields, ${where}`)
  // Prometheus reads values with Go's strconv.ParseFloat: Inf and NaN in any case (prom-client writes "Nan").
  const v = parts[0].toLowerCase()
  const value = v === '+inf' || v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v === 'nan' ? Number.NaN : Number(parts[0])
  if (parts[0] === '' || (Number.isNaN(value) && v !== 'nan')) throw new Error(`bad value, ${where}`)
  return { name, labels, value }
}

/** The value of the one sample named `name` with exactly `labels`, or undefined. */
export function sampleValue(e: Exposition, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort())
  return e.samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want)?.value
}

/** Every sample named `name`. */
export function samplesOf(e: Exposition, name: string): Sample[] {
  return e.samples.filter((s) => s.name === name)
}
