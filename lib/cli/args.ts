/**
 * The command line's words: usage text, argument parsing and the error for a
 * misused command line.
 * @module
 */

/** The usage text. */
export const USAGE = `usage:
  nftkit apply FILE... [--netns NAME|PATH] [--selector key=value,...]
  nftkit plan FILE... [--netns NAME|PATH] [--selector key=value,...]   (exit 0: no change, 2: changes pending)
  nftkit render FILE... [--selector key=value,...]
  nftkit list [--netns NAME|PATH] [TABLE]
  nftkit status FILE...|TABLE... [--netns NAME|PATH] [--json]
  nftkit watch FILE... [--netns NAME|PATH] [--selector key=value,...]
  nftkit delete FILE... [--netns NAME|PATH] [--selector key=value,...]
  nftkit policies INVENTORY [provider-protection|consumer-protection|network-policies]...
                                             (print the generated objects as YAML; default: provider-protection network-policies)`

/** Parsed command line. */
export interface Args {
  readonly cmd: string
  readonly files: string[]
  readonly netns?: string
  readonly selector: Record<string, string>
  readonly json: boolean
}

/** Splits argv (without node and script) into the command, its operands and options. */
export function parseArgs(argv: string[]): Args {
  const [cmd, ...rest] = argv
  const files: string[] = []
  let netns: string | undefined
  let selector: Record<string, string> = {}
  let json = false
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]
    if (a === '--json') json = true
    else if (a === '--selector') selector = parseSelector(rest[++i] ?? '')
    else if (a.startsWith('--selector=')) selector = parseSelector(a.slice(11))
    else if (a === '--netns') {
      netns = rest[++i]
      if (!netns) throw new UsageError('--netns needs a namespace name or path')
    } else if (a.startsWith('--netns=')) netns = a.slice(8)
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`)
    else files.push(a)
  }
  return { cmd: cmd ?? '', files, netns, selector, json }
}

/** A misused command line (exit 1 with the usage text). */
export class UsageError extends Error {}

/** Parses `key=value[,key=value...]`. */
export function parseSelector(s: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of s.split(',').filter(Boolean)) {
    const i = part.indexOf('=')
    if (i <= 0) throw new UsageError(`--selector expects key=value[,key=value...], got ${JSON.stringify(s)}`)
    out[part.slice(0, i).trim()] = part.slice(i + 1).trim()
  }
  return out
}

