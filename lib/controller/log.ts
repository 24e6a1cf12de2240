/**
 * Structured logs for the controller and the webhook: JSON lines (one
 * object per line: time, level, msg, then the fields) or readable text.
 * @module
 */

/** Log levels, least to most severe. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** Output formats of {@link createLogger}. */
export type LogFormat = 'json' | 'text'

/** Extra fields of one line. Errors are written as their name, message and (for NftError) code. */
export type LogFields = Readonly<Record<string, unknown>>

/** A structured logger. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
  /** A logger that adds `fields` to every line (a line's own fields win). */
  child(fields: LogFields): Logger
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Lines below this level are dropped. Default `info`. */
  readonly level?: LogLevel
  /** The clock (tests). Default `() => new Date()`. */
  readonly now?: () => Date
}

const RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 }
/** Field names the line itself uses: a field of the same name is written with a `field.` prefix. */
const RESERVED = new Set(['time', 'level', 'msg'])

/**
 * A logger writing to `stream` (default stderr). `json`: one JSON object per
 * line, `{"time":"2026-12-03T06:00:00.000Z","level":"info","msg":"...",...fields}`
 * (fields that cannot be serialised, such as cycles or BigInts, are written
 * as strings). `text`: `TIME LEVEL msg key=value ...`, values quoted when
 * they contain blanks, quotes or `=`. Throws TypeError for an unknown format.
 */
export function createLogger(format: LogFormat, stream: NodeJS.WritableStream = process.stderr, opts: LoggerOptions = {}): Logger {
  if (format !== 'json' && format !== 'text') throw new TypeError(`Expected a log format of json or text but received ${JSON.stringify(format)}`)
  const min = RANK[opts.level ?? 'info']
  if (min === undefined) throw new TypeError(`Expected a log level of debug, info, warn or error but received ${JSON.stringify(opts.level)}`)
  const now = opts.now ?? (() => new Date())
  const make = (base: LogFields): Logger => {
    const write = (level: LogLevel, msg: string, fields?: LogFields) => {
      if (RANK[level] < min) return
      const all: Record<string, unknown> = {}
      for (const [k, v] of Object.entries({ ...base, ...fields })) all[RESERVED.has(k) ? `field.${k}` : k] = plain(v)
      const time = now().toISOString()
      stream.write(format === 'json' ? `${jsonLine(time, level, msg, all)}\n` : `${textLine(time, level, msg, all)}\n`)
    }
    return {
      debug: (m, f) => write('debug', m, f),
      info: (m, f) => write('info', m, f),
      warn: (m, f) => write('warn', m, f),
      error: (m, f) => write('error', m, f),
      child: (f) => make({ ...base, ...f }),
    }
  }
  return make({})
}

/** An Error as plain fields; everything else as it is. */
function plain(v: unknown): unknown {
  if (!(v instanceof Error)) return v
  const code = (v as { code?: unknown }).code
  return { name: v.name, message: v.message, ...(typeof code === 'string' ? { code } : {}) }
}

function jsonLine(time: string, level: LogLevel, msg: string, fields: Record<string, unknown>): string {
  try {
    return JSON.stringify({ time, level, msg, ...fields }, (_k, v) => (typeof v === 'bigint' ? String(v) : v))
  } catch {
    // A cycle (or a throwing toJSON) in one field: write the others, that one as text.
    const safe: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(fields)) {
      try {
        JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x))
        safe[k] = v
      } catch {
        safe[k] = String(v)
      }
    }
    return JSON.stringify({ time, level, msg, ...safe }, (_k, v) => (typeof v === 'bigint' ? String(v) : v))
  }
}

function textLine(time: string, level: LogLevel, msg: string, fields: Record<string, unknown>): string {
  const parts = [time, level.toUpperCase().padEnd(5), msg.replace(/\n/g, '\\n')]
  for (const [k, v] of Object.entries(fields)) parts.push(`${k}=${textValue(v)}`)
  return parts.join(' ')
}

function textValue(v: unknown): string {
  let s: string
  if (typeof v === 'string') s = v
  else if (v === undefined) s = 'undefined'
  else {
    try {
      s = JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x)) ?? String(v)
    } catch {
      s = String(v)
    }
  }
  return s === '' || /[\s"=\\]/.test(s) ? JSON.stringify(s) : s
}
